/**
 * Every failure the IR reports is an IrError with a stable code and a message that names the
 * op, node, field or byte offset at fault, so that callers can show it without a stack trace.
 */
export type IrErrorCode =
  | 'TENSOR_SIZE'
  | 'TENSOR_RANGE'
  | 'GRAPH_INVALID'
  | 'TYPE_MISMATCH'
  | 'RANGE_BOUND'
  | 'SCHEDULE_INVALID'
  | 'ENCODING_CORRUPT'
  | 'ONNX_CORRUPT'
  | 'ONNX_UNSUPPORTED_OP'
  | 'ONNX_UNSUPPORTED'
  | 'ONNX_DYNAMIC_SHAPE'
  | 'ONNX_INVALID'
  | 'INPUT_INVALID';

export class IrError extends Error {
  readonly code: IrErrorCode;

  constructor(code: IrErrorCode, message: string) {
    super(message);
    this.name = 'IrError';
    this.code = code;
  }
}

export function isIrError(error: unknown): error is IrError {
  return error instanceof IrError;
}

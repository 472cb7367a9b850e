import type { ExecutionView } from '@stoa/contracts';
import { dtypeInfo, type IntTensor, type Model, sizeOf, tensorBytes } from '@stoa/ir';

/** An execution's inputs as journal text: base64 of each input's canonical bytes. */
export function encodeInputs(view: ExecutionView): string[] {
  const { graph } = view.model;
  return Array.from(graph.inputs, (n) =>
    Buffer.from(tensorBytes(graph.nodeTypes[n]!.dtype, view.values[n]!)).toString('base64'),
  );
}

/** The inverse of `encodeInputs`, typed and shaped by the model's inputs. */
export function decodeInputs(model: Model, encoded: readonly string[]): IntTensor[] {
  const { graph } = model;
  if (encoded.length !== graph.inputs.length)
    throw new Error(`journaled inputs: ${encoded.length} tensors, the model takes ${graph.inputs.length}`);
  return Array.from(graph.inputs, (n, i) => {
    const { dtype, shape } = graph.nodeTypes[n]!;
    const bytes = Buffer.from(encoded[i]!, 'base64');
    const width = dtypeInfo(dtype).bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = sizeOf(shape);
    if (bytes.length !== count * width)
      throw new Error(
        `journaled input ${i}: ${bytes.length} bytes, the ${dtype} input [${shape.join(', ')}] takes ${count * width}`,
      );
    const data = new Int32Array(count);
    for (let k = 0; k < count; k++)
      data[k] =
        width === 1 ? view.getInt8(k) : width === 2 ? view.getInt16(2 * k, true) : view.getInt32(4 * k, true);
    return { dtype, shape: [...shape], data };
  });
}

/** `encodeInputs` for inputs given as tensors (an on-demand receipt's execution). */
export function encodeTensors(model: Model, inputs: readonly IntTensor[]): string[] {
  const { graph } = model;
  if (inputs.length !== graph.inputs.length)
    throw new Error(`inputs: ${inputs.length} tensors, the model takes ${graph.inputs.length}`);
  return inputs.map((t, i) =>
    Buffer.from(tensorBytes(graph.nodeTypes[graph.inputs[i]!]!.dtype, t.data)).toString('base64'),
  );
}

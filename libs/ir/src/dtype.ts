/** Integer element types of the IR. Every tensor holds integers; the dtype bounds their range. */
export type DType = 'i8' | 'i16' | 'i32';

export const DTYPES: readonly DType[] = ['i8', 'i16', 'i32'];

interface DTypeInfo {
  readonly code: number;
  readonly bytes: number;
  readonly min: number;
  readonly max: number;
}

const INFO: Record<DType, DTypeInfo> = {
  i8: { code: 1, bytes: 1, min: -128, max: 127 },
  i16: { code: 2, bytes: 2, min: -32768, max: 32767 },
  i32: { code: 3, bytes: 4, min: -2147483648, max: 2147483647 },
};

export function dtypeInfo(dtype: DType): DTypeInfo {
  return INFO[dtype];
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && value in INFO;
}

export function dtypeFromCode(code: number): DType | undefined {
  return DTYPES.find((d) => INFO[d].code === code);
}

/** Largest magnitude a value of this dtype can have (|min|). */
export function dtypeMaxAbs(dtype: DType): number {
  return -INFO[dtype].min;
}

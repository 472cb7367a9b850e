/** Bit-identity checks in tests: vitest's deep equality takes seconds on tensors this large. */

/** The first index where two tensors differ (-1: none, or both missing; 0 when one is missing or the lengths differ). */
export function firstDifference(a: Int32Array | undefined, b: Int32Array | undefined): number {
  if (a === undefined && b === undefined) return -1;
  if (!a || !b || a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

import type { OpDefinition } from '../ops/op.js';
import type { Attrs, AttrValue } from './types.js';

/**
 * Fills defaults and checks kinds, so that stored attributes are canonical: an attribute
 * given at its default and one left out encode the same. Returns a problem message or attrs.
 */
export function normalizeAttrs(op: OpDefinition, given: Readonly<Record<string, unknown>>): Attrs | string {
  const out: Record<string, AttrValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in op.attrs)) {
      const known = Object.keys(op.attrs);
      return `unknown attribute '${key}' (${op.name} takes ${known.length > 0 ? known.join(', ') : 'no attributes'})`;
    }
  }
  for (const key of Object.keys(op.attrs).sort()) {
    const spec = op.attrs[key]!;
    const value = given[key] ?? spec.default;
    if (value === undefined) return `attribute '${key}' is required`;
    if (spec.kind === 'int') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return `attribute '${key}' must be an integer`;
      out[key] = value;
    } else {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isSafeInteger(v))) {
        return `attribute '${key}' must be a list of integers`;
      }
      out[key] = Object.freeze([...(value as number[])]);
    }
  }
  return Object.freeze(out);
}

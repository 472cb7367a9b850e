/**
 * modelId = sha256(domain ‖ graphDigest ‖ weightsRoot ‖ stepsRoot ‖ layoutHash ‖ steps (u32 BE) ‖
 * opset (u16 BE)): one hash over every commitment a dispute is judged against, so that anyone —
 * ModelRegistry on chain included — recomputes the modelId from the registered pre-image and
 * refuses a registration that pairs a model's id with roots it does not have (issue 18,
 * finding 3). contracts/src/ModelRegistry.sol `modelIdOf` is the same function.
 */
import { fromHex, sha256, toHex } from '../commit/hash.js';
import { IrError } from '../errors.js';

/** ASCII 'stoa.modelId.v2' (15 bytes); v1 hashed the graph and weightsRoot only. */
export const MODEL_ID_DOMAIN = new TextEncoder().encode('stoa.modelId.v2');

/** Everything a modelId hashes; each 32-byte field as 0x-prefixed hex. */
export interface ModelPreimage {
  /** sha256 of the model's identity encoding: structure without names, weights as digests. */
  readonly graphDigest: `0x${string}`;
  readonly weightsRoot: `0x${string}`;
  readonly stepsRoot: `0x${string}`;
  readonly layoutHash: `0x${string}`;
  readonly steps: number;
  readonly opset: number;
}

function word(field: string, hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes.length !== 32)
    throw new IrError('INPUT_INVALID', `${field}: expected 32 bytes, got ${bytes.length}`);
  return bytes;
}

function uint(field: string, value: number, bytes: 2 | 4): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * bytes))
    throw new IrError('INPUT_INVALID', `${field}: ${value} is not a uint${8 * bytes}`);
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (bytes === 2) view.setUint16(0, value);
  else view.setUint32(0, value);
  return out;
}

/** The modelId of a pre-image (what ModelRegistry recomputes on chain). */
export function modelIdOf(p: ModelPreimage): `0x${string}` {
  return toHex(
    sha256(
      MODEL_ID_DOMAIN,
      word('graphDigest', p.graphDigest),
      word('weightsRoot', p.weightsRoot),
      word('stepsRoot', p.stepsRoot),
      word('layoutHash', p.layoutHash),
      uint('steps', p.steps, 4),
      uint('opset', p.opset, 2),
    ),
  );
}

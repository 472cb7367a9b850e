import type { ChallengeAuthorization } from '@stoa/contracts';
import { type Address, type Hex, isAddress, isHex } from 'viem';
import { Errors } from '../errors.js';

/** The body of a bonded challenge: the client, its authorization and its EIP-712 signature. */
export interface ClientChallengeRequest {
  readonly client: Address;
  readonly authorization: ChallengeAuthorization;
  readonly signature: Hex;
}

const field = (name: string, why: string) => Errors.badRequest(`${name}: ${why}`);

function uint(value: unknown, name: string): bigint {
  if (
    (typeof value === 'string' && /^\d{1,78}$/.test(value)) ||
    (Number.isSafeInteger(value) && (value as number) >= 0)
  )
    return BigInt(value as string | number);
  throw field(name, 'must be a non-negative integer (a decimal string for wei)');
}

function address(value: unknown, name: string): Address {
  if (typeof value === 'string' && isAddress(value, { strict: false })) return value as Address;
  throw field(name, 'must be a 0x-prefixed 20-byte address');
}

function hex(value: unknown, name: string, bytes: number): Hex {
  if (typeof value === 'string' && isHex(value) && value.length === 2 + 2 * bytes) return value as Hex;
  throw field(name, `must be 0x-prefixed hex of ${bytes} bytes`);
}

/**
 * Parses a bonded challenge's body, naming the first bad field; `undefined` for an empty body
 * (the unbonded challenge: a replay on another network, the gateway's own bond if disputed).
 */
export function parseClientChallenge(body: unknown): ClientChallengeRequest | undefined {
  if (body === undefined || (Buffer.isBuffer(body) && body.length === 0)) return undefined;
  let parsed: unknown = body;
  if (Buffer.isBuffer(body)) {
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw Errors.badRequest('body: not JSON');
    }
  }
  if (typeof parsed !== 'object' || parsed === null) throw field('body', 'must be a JSON object');
  const b = parsed as Record<string, unknown>;
  if (Object.keys(b).length === 0) return undefined;
  const a = b.authorization;
  if (typeof a !== 'object' || a === null)
    throw field('authorization', 'missing: the signed ChallengeAuthorization');
  const auth = a as Record<string, unknown>;
  return {
    client: address(b.client, 'client'),
    authorization: {
      receiptDigest: hex(auth.receiptDigest, 'authorization.receiptDigest', 32),
      maxBond: uint(auth.maxBond, 'authorization.maxBond'),
      agent: address(auth.agent, 'authorization.agent'),
      deadline: uint(auth.deadline, 'authorization.deadline'),
      nonce: uint(auth.nonce, 'authorization.nonce'),
    },
    signature: hex(b.signature, 'signature', 65),
  };
}

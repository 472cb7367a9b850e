import { describe, expect, it } from 'vitest';
import { parseClientChallenge } from './client-challenge-request.js';

const valid = {
  client: `0x${'aa'.repeat(20)}`,
  authorization: {
    receiptDigest: `0x${'11'.repeat(32)}`,
    maxBond: '2000000000000000000',
    agent: `0x${'bb'.repeat(20)}`,
    deadline: 1_900_000_000,
    nonce: '7',
  },
  signature: `0x${'22'.repeat(65)}`,
};
const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const refusal = (value: unknown) => {
  try {
    parseClientChallenge(body(value));
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('a bonded challenge’s body', () => {
  it('parses a signed authorization, numbers as bigints; an empty body is the unbonded replay', () => {
    expect(parseClientChallenge(body(valid))?.authorization).toMatchObject({
      maxBond: 2n * 10n ** 18n,
      deadline: 1_900_000_000n,
      nonce: 7n,
    });
    expect(parseClientChallenge(undefined)).toBeUndefined();
    expect(parseClientChallenge(body({}))).toBeUndefined();
  });

  it('names the first bad field', () => {
    const a = valid.authorization;
    expect(refusal({ ...valid, client: 'me' })).toMatch(/^client:/);
    expect(refusal({ ...valid, authorization: undefined })).toMatch(/^authorization: missing/);
    expect(refusal({ ...valid, authorization: { ...a, receiptDigest: '0x12' } })).toMatch(
      /^authorization\.receiptDigest:/,
    );
    expect(refusal({ ...valid, authorization: { ...a, maxBond: -1 } })).toMatch(/^authorization\.maxBond:/);
    expect(refusal({ ...valid, authorization: { ...a, agent: 5 } })).toMatch(/^authorization\.agent:/);
    expect(refusal({ ...valid, authorization: { ...a, deadline: '1.5' } })).toMatch(
      /^authorization\.deadline:/,
    );
    expect(refusal({ ...valid, authorization: { ...a, nonce: 'x' } })).toMatch(/^authorization\.nonce:/);
    expect(refusal({ ...valid, signature: '0x00' })).toMatch(/^signature:/);
    expect(() => parseClientChallenge(Buffer.from('{'))).toThrow(/^body: not JSON/);
  });
});

import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('the gateway configuration', () => {
  it('says which required variables are not set, and what a set one must be', () => {
    expect(() => configFromEnv({ STOA_GATEWAY_LISTEN: 'nowhere', STOA_GATEWAY_SECRET: 'hunter2' })).toThrow(
      'invalid gateway configuration:\n' +
        '  STOA_GATEWAY_LISTEN: must be host:port\n' +
        '  STOA_RPC_URL: required, not set (must be the chain’s JSON-RPC URL)\n' +
        '  STOA_CONTRACTS_FILE: required, not set\n' +
        "  STOA_GATEWAY_SECRET: must reference a secret ('env:NAME' or 'file:path'), never hold it",
    );
    // A secret written where its reference belongs is refused without being repeated.
    const refusal = (() => {
      try {
        configFromEnv({ STOA_GATEWAY_SECRET: 'hunter2' });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refusal).toContain('STOA_GATEWAY_SECRET: must reference a secret');
    expect(refusal).not.toContain('hunter2');
  });
});

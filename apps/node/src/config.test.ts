import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

const good = {
  STOA_MODEL_ID: `0x${'ab'.repeat(32)}`,
  STOA_ARTIFACT_URL: 'file:///models/mnist.stoa',
  STOA_RPC_URL: 'http://127.0.0.1:8545',
  STOA_CONTRACTS_FILE: '/etc/stoa/addresses.json',
  STOA_OPERATOR_ADDRESS: `0x${'11'.repeat(20)}`,
};

describe('node configuration from the environment', () => {
  it('reads a minimal environment with documented defaults', () => {
    const config = configFromEnv(good);
    expect(config).toMatchObject({
      role: 'server',
      host: '127.0.0.1',
      port: 8080,
      batchSize: 64,
      backend: 'onnxruntime',
      onnxProviders: ['cpu'],
      hotPathThread: 'auto',
    });
    expect(config.testFault).toBeUndefined();
    expect(config.nodeKeyFile).toBe('.stoa/node/node.key');
    expect(config.operatorAddress).toBe(`0x${'11'.repeat(20)}`);
  });

  it('takes where the hot path runs, and names the variable when it is none of the choices', () => {
    expect(configFromEnv({ ...good, STOA_HOT_PATH_THREAD: 'thread' }).hotPathThread).toBe('thread');
    expect(() => configFromEnv({ ...good, STOA_HOT_PATH_THREAD: 'gpu' })).toThrow(/STOA_HOT_PATH_THREAD/);
  });

  it('says which required variables are not set, and what a set one must be', () => {
    const { STOA_MODEL_ID: _model, STOA_RPC_URL: _rpc, ...rest } = good;
    expect(() => configFromEnv({ ...rest, STOA_LISTEN: 'nowhere' })).toThrow(
      'invalid node configuration:\n' +
        '  STOA_MODEL_ID: required, not set\n' +
        '  STOA_RPC_URL: required, not set (must be the chain’s JSON-RPC URL)\n' +
        '  STOA_LISTEN: must be host:port',
    );
  });

  it('refuses an operator key: it never goes to a node', () => {
    expect(() => configFromEnv({ ...good, STOA_OPERATOR_KEY: `0x${'22'.repeat(32)}` })).toThrow(
      /STOA_OPERATOR_KEY: not accepted: the operator key never goes to a node/,
    );
    expect(() => configFromEnv({ ...good, STOA_OPERATOR_ADDRESS: '0x12' })).toThrow(
      /STOA_OPERATOR_ADDRESS: must be the operator’s 0x-prefixed 20-byte address/,
    );
  });

  it('takes the gateway’s public key only with the deployment it names, and only a well-formed one', () => {
    const publicKey = 'A'.repeat(43);
    expect(
      configFromEnv({ ...good, STOA_GATEWAY_PUBLIC_KEY: publicKey, STOA_GATEWAY_DEPLOYMENT_ID: 'd1' })
        .gateway,
    ).toEqual({
      publicKey,
      deploymentId: 'd1',
    });
    expect(() => configFromEnv({ ...good, STOA_GATEWAY_PUBLIC_KEY: publicKey })).toThrow(
      /STOA_GATEWAY_DEPLOYMENT_ID: required/,
    );
    expect(() =>
      configFromEnv({ ...good, STOA_GATEWAY_PUBLIC_KEY: 'not-a-key', STOA_GATEWAY_DEPLOYMENT_ID: 'd1' }),
    ).toThrow(/STOA_GATEWAY_PUBLIC_KEY/);
  });

  it('names every bad variable at once', () => {
    expect(() =>
      configFromEnv({ ...good, STOA_MODEL_ID: '0x12', STOA_BATCH_SIZE: 'lots', STOA_RPC_URL: undefined }),
    ).toThrow(
      /STOA_MODEL_ID: must be a 0x-prefixed 32-byte hex modelId[\s\S]*STOA_RPC_URL[\s\S]*STOA_BATCH_SIZE/,
    );
    expect(() => configFromEnv({ ...good, STOA_LISTEN: 'localhost' })).toThrow(
      /STOA_LISTEN: must be host:port/,
    );
    expect(() => configFromEnv({ ...good, STOA_ROLE: 'watcher' })).toThrow(
      /STOA_WATCH_NODES: a watcher needs/,
    );
    expect(() => configFromEnv({ ...good, STOA_ROLE: 'watcher', STOA_WATCH_NODES: 'ftp://x' })).toThrow(
      /'ftp:\/\/x' is not an http\(s\) URL/,
    );
  });

  it('makes the entrypoint exit 2 with the message, never a stack trace', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { PATH: process.env.PATH, ...good, STOA_OPERATOR_ADDRESS: 'secret' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('STOA_OPERATOR_ADDRESS: must be the operator’s 0x-prefixed 20-byte address');
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

import { readFileSync } from 'node:fs';
import { privateKeyToAccount } from 'viem/accounts';
import { UserError } from './errors.js';
import { keyLikeEnv, type NodeSpec } from './types.js';

const KEY = /^0x[0-9a-fA-F]{64}$/;

/**
 * Resolve an operator key reference on the operator's own machine: `env:NAME` reads the
 * variable NAME of this process, `file:PATH` reads a file. The key is only ever used here
 * (to derive the operator's address and sign its own transactions); it is never sent anywhere.
 */
export function resolveKeyRef(ref: string, adapter?: string): `0x${string}` {
  const fail = (message: string) =>
    new UserError('invalid-spec', message, { adapter, fields: ['operatorKeyRef'] });
  let value: string | undefined;
  if (ref.startsWith('env:')) {
    value = process.env[ref.slice(4)];
    if (!value) throw fail(`operatorKeyRef names env var ${ref.slice(4)}, which is not set`);
  } else if (ref.startsWith('file:')) {
    try {
      value = readFileSync(ref.slice(5), 'utf8').trim();
    } catch (e) {
      throw fail(`operatorKeyRef names file ${ref.slice(5)}, which cannot be read: ${(e as Error).message}`);
    }
  } else {
    throw fail(`operatorKeyRef must be env:NAME or file:PATH on the operator's machine, not '${ref}'`);
  }
  if (!KEY.test(value)) throw fail(`operatorKeyRef ${ref} does not hold a 0x-prefixed 32-byte private key`);
  return value as `0x${string}`;
}

/** The operator's public address: given, or derived from the key on the operator's machine. */
export function operatorAddressOf(spec: NodeSpec, adapter?: string): `0x${string}` {
  if (spec.operatorAddress) return spec.operatorAddress as `0x${string}`;
  if (!spec.operatorKeyRef) {
    throw new UserError('invalid-spec', 'give operatorAddress (or operatorKeyRef to derive it)', {
      adapter,
      fields: ['operatorAddress'],
    });
  }
  return privateKeyToAccount(resolveKeyRef(spec.operatorKeyRef, adapter)).address;
}

/**
 * The node's environment contract (same on every network). It carries the operator's address,
 * never a key: the node makes its own signing key in its data volume at first start.
 */
export function nodeEnvironment(
  spec: NodeSpec,
  opts: { listen: string; dataDir: string; adapter?: string; extra?: Record<string, string> },
): Record<string, string> {
  const env: Record<string, string> = {
    STOA_MODEL_ID: spec.modelId,
    STOA_ARTIFACT_URL: spec.artifactUrl,
    STOA_RPC_URL: spec.rpcUrl,
    STOA_OPERATOR_ADDRESS: operatorAddressOf(spec, opts.adapter),
    STOA_ROLE: spec.role,
    STOA_LISTEN: opts.listen,
    STOA_DATA_DIR: opts.dataDir,
  };
  if (spec.contractsFile) env.STOA_CONTRACTS_FILE = spec.contractsFile;
  const merged = { ...spec.env, ...opts.extra, ...env };
  for (const name of Object.keys(merged)) {
    if (keyLikeEnv.test(name)) {
      throw new UserError('invalid-spec', `env.${name}: a key must not be sent to a node`, {
        adapter: opts.adapter,
        fields: [`env.${name}`],
      });
    }
  }
  return merged;
}

/** The node's `GET /health` body. */
export interface NodeHealth {
  state: 'starting' | 'ready' | 'busy' | 'failed';
  reason?: string;
  /** The node's own signing address. */
  node?: string;
  [k: string]: unknown;
}

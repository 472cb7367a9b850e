import { UserError } from './errors.js';
import type { NodeSpec } from './types.js';

/**
 * Resolve an operator key reference. `env:NAME` reads the variable NAME from this process's
 * environment; anything else (a file path on the host, a secret name the network resolves) is
 * passed through as the reference itself.
 */
export function resolveKeyRef(ref: string, adapter?: string): string {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const v = process.env[name];
    if (!v) {
      throw new UserError('invalid-spec', `operatorKeyRef names env var ${name}, which is not set`, {
        adapter,
        fields: ['operatorKeyRef'],
      });
    }
    return v;
  }
  return ref;
}

/** The node's environment contract (same on every network). */
export function nodeEnvironment(
  spec: NodeSpec,
  opts: { listen: string; dataDir: string; adapter?: string; extra?: Record<string, string> },
): Record<string, string> {
  const env: Record<string, string> = {
    STOA_MODEL_ID: spec.modelId,
    STOA_ARTIFACT_URL: spec.artifactUrl,
    STOA_RPC_URL: spec.rpcUrl,
    STOA_OPERATOR_KEY: resolveKeyRef(spec.operatorKeyRef, opts.adapter),
    STOA_ROLE: spec.role,
    STOA_LISTEN: opts.listen,
    STOA_DATA_DIR: opts.dataDir,
  };
  if (spec.contractsFile) env.STOA_CONTRACTS_FILE = spec.contractsFile;
  return { ...spec.env, ...opts.extra, ...env };
}

/** The node's `GET /health` body. */
export interface NodeHealth {
  state: 'starting' | 'ready' | 'busy' | 'failed';
  [k: string]: unknown;
}

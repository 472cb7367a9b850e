import { generateManifest, type SDLInput, validateSDL } from '@akashnetwork/chain-sdk';
import { stringify } from 'yaml';
import { UserError } from '../core/errors.js';
import { nodeEnvironment } from '../core/node-env.js';
import type { NodeSpec, Problem } from '../core/types.js';

export interface SdlOptions {
  /** Highest price per block the deployment accepts, in uact (ACT, pegged to the USD; placement pricing). Default 10000. */
  maxUactPerBlock?: number;
  /** Provider attributes required in placement (e.g. { region: 'us-west' }). */
  providerAttributes?: Record<string, string>;
  /** Provider audit signatures required (`signedBy.anyOf`). */
  auditors?: string[];
}

export const AKASH_SERVICE = 'node';
const PLACEMENT = 'dcloud';

/** The SDL (v2.0) that runs the standard node with the spec's resources, GPU attributes and pricing. */
export function generateSdl(spec: NodeSpec, opts: SdlOptions = {}): SDLInput {
  const env = nodeEnvironment(spec, { listen: `0.0.0.0:${spec.port}`, dataDir: '/data' });
  const resources: Record<string, unknown> = {
    cpu: { units: spec.cpu },
    memory: { size: `${spec.memoryGi}Gi` },
    storage: { size: `${spec.storageGi}Gi` },
  };
  if (spec.gpu) {
    const [vendor, model] = spec.gpu.kind.split(/-(.*)/s);
    resources.gpu = { units: spec.gpu.count, attributes: { vendor: { [vendor!]: [{ model }] } } };
  }
  const attributes = { ...(spec.region ? { region: spec.region } : {}), ...opts.providerAttributes };
  return {
    version: '2.0',
    services: {
      [AKASH_SERVICE]: {
        image: spec.image,
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        expose: [{ port: spec.port, as: 80, to: [{ global: true }] }],
      },
    },
    profiles: {
      compute: { [AKASH_SERVICE]: { resources } as never },
      placement: {
        [PLACEMENT]: {
          ...(Object.keys(attributes).length ? { attributes } : {}),
          ...(opts.auditors?.length ? { signedBy: { anyOf: opts.auditors } } : {}),
          pricing: { [AKASH_SERVICE]: { denom: 'uact', amount: opts.maxUactPerBlock ?? 10_000 } },
        },
      },
    },
    deployment: { [AKASH_SERVICE]: { [PLACEMENT]: { profile: AKASH_SERVICE, count: spec.replicas } } },
  };
}

export const sdlToYaml = (sdl: SDLInput): string => stringify(sdl);

const toPath = (instancePath: string) => instancePath.replace(/^\//, '').replace(/\//g, '.');

/** Validate an SDL with the SDK's own validation (schema + manifest generation); problems name the field. */
export function sdlProblems(sdl: SDLInput): Problem[] {
  const schema = validateSDL(sdl, 'mainnet');
  if (schema?.length)
    return schema.map((e) => ({ path: toPath(e.instancePath), message: e.message ?? e.keyword }));
  const gen = generateManifest(sdl, 'mainnet');
  if (!gen.ok)
    return gen.value.map((e) => ({ path: toPath(e.instancePath), message: e.message ?? e.keyword }));
  return [];
}

export function manifestFor(sdl: SDLInput) {
  const gen = generateManifest(sdl, 'mainnet');
  if (!gen.ok) {
    throw new UserError(
      'invalid-spec',
      gen.value.map((e) => `${toPath(e.instancePath)}: ${e.message}`).join('; '),
      {
        adapter: 'akash',
        fields: gen.value.map((e) => toPath(e.instancePath)),
      },
    );
  }
  return gen.value;
}

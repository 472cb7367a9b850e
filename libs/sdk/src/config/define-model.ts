import { ConfigError, type ConfigProblem, problemsOf } from './errors.js';
import { type StoaConfig, type StoaConfigInput, stoaConfigSchema } from './schema.js';
import { verificationProblems } from './verification.js';

const DEFINED = Symbol.for('stoa.definedModel');

/** A validated config, tagged (by a symbol) so the loader knows it came through defineModel(). */
export type DefinedModel = StoaConfig & { readonly [DEFINED]: true };

export function isDefinedModel(value: unknown): value is DefinedModel {
  return typeof value === 'object' && value !== null && DEFINED in value;
}

/** Checks across fields that the schema alone cannot express. */
function crossFieldProblems(config: StoaConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  config.networks.forEach((network, i) => {
    const name = typeof network.adapter === 'string' ? network.adapter : network.adapter.name;
    const key = `${name}:${network.endpoint ?? ''}`;
    if (seen.has(key)) {
      problems.push({
        path: `networks[${i}].adapter`,
        message: `'${name}' is already listed at networks[${seen.get(key)}]; merge them (use replicas) or give each its own endpoint`,
      });
    } else seen.set(key, i);
    if (network.maxPricePerHour !== undefined && network.maxPricePerHour > config.budget.maxPerHour) {
      problems.push({
        path: `networks[${i}].maxPricePerHour`,
        message: `${network.maxPricePerHour} USD/h is above budget.maxPerHour (${config.budget.maxPerHour} USD/h); lower it to at most ${config.budget.maxPerHour}`,
      });
    }
    if (network.adapter === 'self-hosted' && network.gpu !== 'cpu' && !network.hosts) {
      problems.push({
        path: `networks[${i}].gpu`,
        message: `self-hosted on this machine runs on 'cpu'; list 'hosts' to use a '${network.gpu}'`,
      });
    }
  });
  const { maxFees } = config.budget;
  if (maxFees !== undefined && maxFees < config.verification.feePerRequest) {
    problems.push({
      path: 'budget.maxFees',
      message: `${maxFees} wei does not pay one request (verification.feePerRequest is ${config.verification.feePerRequest} wei); raise it or leave it unset`,
    });
  }
  const replicas = config.networks.reduce((sum, n) => sum + n.replicas, 0);
  if (config.scaling && config.scaling.max < replicas) {
    problems.push({
      path: 'scaling.max',
      message: `is ${config.scaling.max} but the networks ask for ${replicas} replicas in all; raise it to at least ${replicas}`,
    });
  }
  return problems;
}

/** Validates a config; throws a ConfigError naming every field at fault. */
export function parseConfig(input: unknown, source?: string): StoaConfig {
  const parsed = stoaConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error), source);
  const problems = [...crossFieldProblems(parsed.data), ...verificationProblems(parsed.data.verification)];
  if (problems.length > 0) throw new ConfigError(problems, source);
  return parsed.data;
}

/**
 * Declares a model deployment in `stoa.config.ts`:
 *
 *   export default defineModel({ name: 'mnist', model: {...}, networks: ['self-hosted'], budget: {...} });
 *
 * Typed and validated at once: a bad field throws a ConfigError naming its path.
 */
export function defineModel(input: StoaConfigInput): DefinedModel {
  return Object.defineProperty(parseConfig(input), DEFINED, { value: true }) as DefinedModel;
}

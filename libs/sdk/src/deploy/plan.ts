import type { NetworkAdapter, NodeSpecInput, Quote } from '@stoa/adapters';
import type { NetworkConfig, StoaConfig } from '../config/schema.js';
import { networkName } from './network-adapters.js';

/** One network's answer while planning: its best acceptable offer, or why it has none. */
export interface NetworkQuote {
  readonly networkIndex: number;
  readonly network: string;
  readonly offers: Quote[];
  /** Cheapest offer within the network's maxPricePerHour. */
  readonly best?: Quote;
  readonly error?: string;
}

/** Replicas placed on one network at one price. */
export interface Placement {
  readonly networkIndex: number;
  readonly network: string;
  readonly replicas: number;
  readonly quote: Quote;
  /** Why here: the configured network, or the failover that moved it. */
  readonly reason: string;
}

export interface Plan {
  readonly quotes: NetworkQuote[];
  readonly placements: Placement[];
  readonly perHourUsd: number;
  readonly budget: { readonly maxPerHour: number; readonly maxTotal?: number };
  /** Decisions taken while planning (a network without offers replaced by another). */
  readonly decisions: string[];
}

export class BudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetError';
  }
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** The node spec (minus what only the engine knows) a network is asked to quote and run. */
export function specFor(config: StoaConfig, network: NetworkConfig, replicas = network.replicas) {
  return {
    name: config.name,
    replicas,
    ...(network.gpu === 'cpu' ? {} : { gpu: { kind: network.gpu, count: network.gpuCount } }),
    ...(network.regions ? { region: network.regions[0] } : {}),
    ...(network.maxPricePerHour ? { maxPricePerHourUsd: network.maxPricePerHour } : {}),
  } satisfies Partial<NodeSpecInput>;
}

const QUOTE_PLACEHOLDERS = {
  modelId: 'quote',
  artifactUrl: 'http://127.0.0.1/quote',
  rpcUrl: 'http://127.0.0.1/quote',
  // Quotes need no operator: any well-formed address stands in (no key is ever involved).
  operatorAddress: '0x0000000000000000000000000000000000000001',
};

/** Asks every configured network for offers, side by side; a failing network is reported, not fatal. */
export async function quoteNetworks(
  config: StoaConfig,
  adapters: (index: number) => Promise<NetworkAdapter>,
): Promise<NetworkQuote[]> {
  return Promise.all(
    config.networks.map(async (network, networkIndex): Promise<NetworkQuote> => {
      const name = networkName(network);
      try {
        const offers = await (await adapters(networkIndex)).quote({
          ...QUOTE_PLACEHOLDERS,
          ...specFor(config, network),
        });
        const acceptable = offers
          .filter(
            (q) => network.maxPricePerHour === undefined || q.pricePerHourUsd <= network.maxPricePerHour,
          )
          .filter((q) => !network.regions || !q.region || network.regions.includes(q.region))
          .sort((a, b) => a.pricePerHourUsd - b.pricePerHourUsd);
        if (!acceptable[0]) {
          const cheapest = offers.map((q) => q.pricePerHourUsd).sort((a, b) => a - b)[0];
          return {
            networkIndex,
            network: name,
            offers,
            error:
              cheapest === undefined
                ? 'no offers'
                : `cheapest offer ${usd(cheapest)}/h is above maxPricePerHour ${usd(network.maxPricePerHour!)}/h`,
          };
        }
        return { networkIndex, network: name, offers, best: acceptable[0] };
      } catch (error) {
        return { networkIndex, network: name, offers: [], error: (error as Error).message };
      }
    }),
  );
}

/**
 * The next-best network for replicas that cannot go where they were meant to: the cheapest other
 * network with an acceptable offer that keeps the hourly total within budget.
 */
export function nextBest(
  quotes: readonly NetworkQuote[],
  exclude: ReadonlySet<number>,
  replicas: number,
  otherPerHour: number,
  maxPerHour: number,
): NetworkQuote | undefined {
  return quotes
    .filter((q) => q.best && !exclude.has(q.networkIndex))
    .filter((q) => otherPerHour + q.best!.pricePerHourUsd * replicas <= maxPerHour + 1e-9)
    .sort((a, b) => a.best!.pricePerHourUsd - b.best!.pricePerHourUsd)[0];
}

/** Places every network's replicas (moving those of networks without offers), then checks the budget. */
export function planFromQuotes(config: StoaConfig, quotes: NetworkQuote[]): Plan {
  const placements: Placement[] = [];
  const decisions: string[] = [];
  const unavailable = new Set(quotes.filter((q) => !q.best).map((q) => q.networkIndex));
  const perHour = () => placements.reduce((sum, p) => sum + p.quote.pricePerHourUsd * p.replicas, 0);
  for (const q of quotes) {
    const replicas = config.networks[q.networkIndex]!.replicas;
    if (q.best) {
      placements.push({
        networkIndex: q.networkIndex,
        network: q.network,
        replicas,
        quote: q.best,
        reason: 'configured',
      });
      continue;
    }
    const other = nextBest(quotes, unavailable, replicas, perHour(), Number.POSITIVE_INFINITY);
    if (!other) {
      decisions.push(`${q.network}: ${q.error}; no other network can take its ${replicas} replica(s)`);
      continue;
    }
    decisions.push(`${q.network}: ${q.error}; its ${replicas} replica(s) go to ${other.network} (next-best)`);
    placements.push({
      networkIndex: other.networkIndex,
      network: other.network,
      replicas,
      quote: other.best!,
      reason: `failover from ${q.network}: ${q.error}`,
    });
  }
  // The USD budget only: budget.maxFees (wei, a bigint) is the escrow's cap, not the plan's.
  const { maxPerHour, maxTotal } = config.budget;
  const budget = { maxPerHour, ...(maxTotal !== undefined ? { maxTotal } : {}) };
  const plan: Plan = { quotes, placements, perHourUsd: perHour(), budget, decisions };
  checkBudget(plan);
  if (placements.length === 0) throw new Error(`no network can run the model:\n  ${decisions.join('\n  ')}`);
  return plan;
}

/** Refuses a plan over budget, with the numbers. */
export function checkBudget(plan: Pick<Plan, 'placements' | 'perHourUsd' | 'budget'>): void {
  if (plan.perHourUsd <= plan.budget.maxPerHour + 1e-9) return;
  const lines = plan.placements.map(
    (p) =>
      `${p.network} ${p.replicas} × ${usd(p.quote.pricePerHourUsd)}/h = ${usd(p.replicas * p.quote.pricePerHourUsd)}/h`,
  );
  throw new BudgetError(
    `over budget: the plan costs ${usd(plan.perHourUsd)}/h (${lines.join(' + ')}), budget.maxPerHour is ${usd(plan.budget.maxPerHour)}/h; ` +
      `raise budget.maxPerHour to at least ${usd(plan.perHourUsd)} or lower replicas/maxPricePerHour`,
  );
}

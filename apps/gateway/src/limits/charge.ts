import { chargeKey } from '@stoa/sdk';
import type { KeyInfo } from '../auth/keys.js';
import { Errors } from '../errors.js';
import type { GatewayOptions } from '../options.js';

/**
 * Keys with a monthly quota or a spend cap are charged in the database before the request is
 * routed (one conditional UPDATE shared by every instance); other keys cost no database write
 * and no promise (undefined).
 */
export function chargeIfLimited(options: GatewayOptions, key: KeyInfo): Promise<void> | undefined {
  if (key.monthlyQuota === undefined && key.spendCapUsd === undefined) return undefined;
  return charge(options, key);
}

async function charge(options: GatewayOptions, key: KeyInfo): Promise<void> {
  if (!(await chargeKey(options.db, key.id, options.pricePerRequestUsd ?? 0))) {
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    throw Errors.quotaExceeded(Math.ceil((nextMonth - now.getTime()) / 1000));
  }
}

import { z } from 'zod';

const UNITS: Record<string, bigint> = { wei: 1n, gwei: 10n ** 9n, eth: 10n ** 18n, ether: 10n ** 18n };

/** Parses `'1 eth'`, `'0.01 ether'`, `'5 gwei'`, `'123 wei'` or a bigint into wei; undefined if malformed. */
export function parseWei(value: string | bigint): bigint | undefined {
  if (typeof value === 'bigint') return value >= 0n ? value : undefined;
  const match = /^\s*(\d+)(?:\.(\d+))?\s*(wei|gwei|eth|ether)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = UNITS[match[3]!.toLowerCase()]!;
  const fraction = match[2] ?? '';
  const decimals = unit.toString().length - 1;
  if (fraction.length > decimals) return undefined;
  return BigInt(match[1]!) * unit + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** An amount of the chain's currency: a bigint in wei, or a string with a unit (`'0.1 eth'`). */
export const weiAmount = z.union([z.bigint(), z.string()]).transform((value, ctx) => {
  const wei = parseWei(value);
  if (wei === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a non-negative amount like '1 eth', '0.01 ether', '5 gwei' or a bigint in wei, got ${JSON.stringify(String(value))}`,
    });
    return z.NEVER;
  }
  return wei;
});

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration: seconds as a positive integer, or `'90s'`, `'30m'`, `'1h'`, `'7d'`. */
export const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d+)\s*([smhd])\s*$/.exec(value) : null;
  if (match && Number(match[1]) > 0) return Number(match[1]) * SECONDS[match[2]!]!;
  ctx.addIssue({
    code: 'custom',
    message: `expected a positive duration: seconds as an integer, or like '90s', '30m', '1h', '7d'; got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});

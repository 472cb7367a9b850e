import { createApiKey, ensureProject, listApiKeys, revokeApiKey } from '@stoa/sdk';
import { defineCommand } from 'citty';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { table } from '../lib/output.js';
import { DESCRIPTIONS } from './descriptions.js';

/** A positive number flag (`--rate 2.5`); flags given empty are refused before (lib/flags.ts). */
const positive = (value: string | undefined, flag: string, { whole = false } = {}) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n)))
    throw new CliError(
      `--${flag} must be a positive ${whole ? 'whole number' : 'number'}, got '${value}'`,
      EXIT.usage,
    );
  return n;
};

const modelList = (value: string | undefined) => {
  const names = value?.split(',').map((m) => m.trim());
  if (names?.some((m) => m === ''))
    throw new CliError(
      `--models: an empty name in '${value}' (comma-separated model names or ids)`,
      EXIT.usage,
    );
  return names;
};

const create = stoaCommand({
  name: 'create',
  description: 'create an API key (shown once)',
  args: {
    name: { type: 'string', description: 'a label for the key', default: 'default' },
    models: { type: 'string', description: 'comma-separated model names or ids it may call (default: all)' },
    rate: { type: 'string', description: 'requests per second' },
    burst: { type: 'string', description: 'burst size' },
    quota: { type: 'string', description: 'requests per month' },
    'spend-cap': { type: 'string', description: 'USD per month' },
    'expires-in-days': { type: 'string', description: 'expiry, in days from now' },
  },
  async run(args, out) {
    // Checked before the project is opened: a bad flag costs nothing.
    const limits = {
      name: args.name.trim(),
      models: modelList(args.models),
      rate: positive(args.rate, 'rate'),
      burst: positive(args.burst, 'burst', { whole: true }),
      quota: positive(args.quota, 'quota', { whole: true }),
      spendCap: positive(args['spend-cap'], 'spend-cap'),
      days: positive(args['expires-in-days'], 'expires-in-days'),
    };
    const ctx = await openProject(out, args.cwd);
    try {
      const project = await ensureProject(ctx.db, ctx.project);
      const key = await createApiKey(ctx.db, ctx.stoaDir, project.id, limits.name, {
        ...(limits.models ? { allowedModels: limits.models } : {}),
        ...(limits.rate ? { rateLimitPerSec: limits.rate } : {}),
        ...(limits.burst ? { burst: limits.burst } : {}),
        ...(limits.quota ? { monthlyQuota: limits.quota } : {}),
        ...(limits.spendCap ? { spendCapUsd: limits.spendCap } : {}),
        ...(limits.days ? { expiresAt: new Date(Date.now() + limits.days * 86_400_000) } : {}),
      });
      out.result(key, () => [
        `key ${key.prefix}… (${key.name}, id ${key.id})`,
        key.key,
        'shown once: it is stored only as a keyed hash',
      ]);
    } finally {
      await ctx.close();
    }
  },
});

const list = stoaCommand({
  name: 'list',
  description: 'list API keys (prefixes only)',
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const keys = await listApiKeys(ctx.db);
      out.result({ keys }, () =>
        table([
          ['PREFIX', 'NAME', 'MODELS', 'RATE/S', 'QUOTA', 'CAP $', 'EXPIRES', 'STATE'],
          ...keys.map((k) => [
            k.prefix,
            k.name,
            k.allowedModels.length ? k.allowedModels.join(',') : 'all',
            k.rateLimitPerSec === null ? '-' : `${k.rateLimitPerSec} (${k.burst ?? '-'})`,
            k.monthlyQuota === null ? '-' : String(k.monthlyQuota),
            k.spendCapUsd === null ? '-' : String(k.spendCapUsd),
            k.expiresAt ? k.expiresAt.toISOString().slice(0, 10) : '-',
            k.state,
          ]),
        ]),
      );
    } finally {
      await ctx.close();
    }
  },
});

const revoke = stoaCommand({
  name: 'revoke',
  description: 'revoke an API key by id or prefix',
  args: { key: { type: 'positional', description: 'key id or prefix', required: true } },
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const row = await revokeApiKey(ctx.db, args.key);
      if (!row) throw new CliError(`no key with id or prefix '${args.key}'`, EXIT.notFound);
      out.result({ id: row.id, prefix: row.prefix, revokedAt: row.revokedAt }, () => [
        `revoked ${row.prefix}… (${row.name})`,
      ]);
    } finally {
      await ctx.close();
    }
  },
});

export const keys = defineCommand({
  meta: { name: 'keys', description: DESCRIPTIONS.keys },
  subCommands: { create, list, revoke },
});

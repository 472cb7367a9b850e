import { createApiKey, ensureProject, listApiKeys, revokeApiKey } from '@stoa/sdk';
import { defineCommand } from 'citty';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { table } from '../lib/output.js';
import { DESCRIPTIONS } from './descriptions.js';

const number = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`--${flag} must be a positive number, got '${value}'`, EXIT.usage);
  return n;
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
    const ctx = await openProject(out, args.cwd);
    try {
      const project = await ensureProject(ctx.db, ctx.project);
      const days = number(args['expires-in-days'], 'expires-in-days');
      const key = await createApiKey(ctx.db, ctx.stoaDir, project.id, args.name, {
        ...(args.models ? { allowedModels: args.models.split(',').map((m) => m.trim()) } : {}),
        ...(args.rate ? { rateLimitPerSec: number(args.rate, 'rate')! } : {}),
        ...(args.burst ? { burst: number(args.burst, 'burst')! } : {}),
        ...(args.quota ? { monthlyQuota: number(args.quota, 'quota')! } : {}),
        ...(args['spend-cap'] ? { spendCapUsd: number(args['spend-cap'], 'spend-cap')! } : {}),
        ...(days ? { expiresAt: new Date(Date.now() + days * 86_400_000) } : {}),
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
          ['PREFIX', 'NAME', 'CREATED', 'STATE'],
          ...keys.map((k) => [k.prefix, k.name, k.createdAt.toISOString().slice(0, 16), k.state]),
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

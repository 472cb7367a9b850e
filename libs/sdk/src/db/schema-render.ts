import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Provider = 'sqlite' | 'postgresql';

const PRISMA_DIR = fileURLToPath(new URL('../../prisma/', import.meta.url));

/**
 * The migrations, in order; each names the schema fragments it adds to the template. The
 * schema at migration i is the template with the fragments of migrations 0..i.
 */
export const MIGRATION_STEPS = [
  { name: '0001_init', fragments: [] },
  { name: '0002_gateway_limits_and_usage', fragments: ['GATEWAY_LIMITS', 'USAGE'] },
  { name: '0003_gateway_counters_receipts_checks', fragments: ['GATEWAY_COUNTERS', 'GATEWAY'] },
  { name: '0004_key_versions', fragments: ['KEY_VERSIONS'] },
  { name: '0005_console_sessions', fragments: ['CONSOLE_SESSIONS'] },
  { name: '0006_client_challenges', fragments: ['CLIENT_CHALLENGES'] },
] as const;

const FRAGMENT_FILES: Record<string, string> = {
  GATEWAY_LIMITS: 'gateway-limits.fragment',
  USAGE: 'usage.fragment',
  GATEWAY_COUNTERS: 'gateway-counters.fragment',
  GATEWAY: 'gateway.fragment',
  KEY_VERSIONS: 'key-versions.fragment',
  CONSOLE_SESSIONS: 'console-sessions.fragment',
  CLIENT_CHALLENGES: 'client-challenges.fragment',
};

const WEI: Record<Provider, string> = { postgresql: 'Decimal @db.Decimal(78, 0)', sqlite: 'String' };

/** The Prisma schema for a provider as of a migration (default: the latest). */
export function renderSchema(provider: Provider, upTo = MIGRATION_STEPS.length - 1): string {
  let text = readFileSync(`${PRISMA_DIR}schema.template.prisma`, 'utf8');
  const included = new Set(
    MIGRATION_STEPS.slice(0, upTo + 1).flatMap((m) => m.fragments as readonly string[]),
  );
  for (const [marker, file] of Object.entries(FRAGMENT_FILES)) {
    const fragment = included.has(marker) ? readFileSync(`${PRISMA_DIR}${file}`, 'utf8').trimEnd() : '';
    text = text.replace(`//${marker}`, fragment);
  }
  // `WEI?` keeps its optional mark after the type: `Decimal @db…` needs the `?` before the attribute.
  return text
    .replace(/WEI\?/g, WEI[provider].replace(/^(\w+)/, '$1?'))
    .replace(/WEI/g, WEI[provider])
    .replaceAll('PROVIDER', provider);
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * A secret is referenced by name, never inlined: `env:NAME` (an environment variable) or
 * `file:path` (a file whose trimmed content is the secret). The reference is what config files,
 * the database and manifests hold; the value is read only when a network is called.
 */
export type SecretRef = `env:${string}` | `file:${string}`;

export const secretRef = z
  .string()
  .regex(
    /^(env:[A-Z_][A-Z0-9_]*|file:.+)$/,
    "must reference a secret by name: 'env:NAME' (an UPPER_SNAKE_CASE environment variable) or 'file:path'; never the secret itself",
  )
  .transform((s) => s as SecretRef);

/** Reads a referenced secret; throws naming the reference (never the value) when it is missing. */
export function resolveSecret(ref: SecretRef, baseDir = process.cwd(), env = process.env): string {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (!value) throw new Error(`secret ${ref}: the environment variable ${ref.slice(4)} is not set`);
    return value;
  }
  const path = resolve(baseDir, ref.slice(5));
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (!value) throw new Error('empty');
    return value;
  } catch (error) {
    throw new Error(`secret ${ref}: cannot read ${path} (${(error as Error).message})`);
  }
}

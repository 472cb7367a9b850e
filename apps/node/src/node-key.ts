import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Hex } from 'viem';

const KEY = /^0x[0-9a-f]{64}$/;

/**
 * The node's own signing key, kept in its data volume. Made at first start (so it is never
 * typed, passed in an environment variable, a command line or a manifest) and read again on
 * every later start. The operator authorizes the key's address on chain for its stake
 * (StakeManager.authorizeSigner) and can revoke it if the node is compromised.
 */
export async function loadOrCreateNodeKey(file: string): Promise<{ key: Hex; created: boolean }> {
  const existing = await readKey(file);
  if (existing) return { key: existing, created: false };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = `0x${randomBytes(32).toString('hex')}` as Hex;
  // Written whole under a temporary name, then linked into place: two nodes starting on one
  // volume at once end up with one key, and a crash never leaves half a key behind.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${key}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  const kept = await readKey(file);
  if (!kept) throw new Error(`node key file ${file} vanished while it was created`);
  return { key: kept, created: kept === key };
}

async function readKey(file: string): Promise<Hex | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = text.trim().toLowerCase();
  if (!KEY.test(key)) throw new Error(`node key file ${file}: not a 0x-prefixed 32-byte hex key`);
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600); // readable by its owner only
  return key as Hex;
}

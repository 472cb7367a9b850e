import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files named by the SHA-256 of their bytes: publishing the same artifact twice is a no-op. */
export function putArtifact(dir: string, bytes: Uint8Array): { digest: string; sizeBytes: number } {
  const digest = createHash('sha256').update(bytes).digest('hex');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, digest);
  if (!existsSync(file)) {
    writeFileSync(`${file}.tmp`, bytes);
    renameSync(`${file}.tmp`, file);
  }
  return { digest, sizeBytes: bytes.length };
}

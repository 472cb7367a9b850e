/**
 * The image's base layer: the shared libraries from Debian's packages, unpacked by mmdebstrap
 * (no base image is pulled), plus the few files a runtime expects (passwd, /tmp, mount points).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RECIPE } from './recipe.js';
import { runCommand } from './run-command.js';
import { type LayerEntry, tarEntries } from './tar-layer.js';

/** Paths of the unpacked packages that a running node never reads (licences are kept). */
function keepDebianPath(path: string): boolean {
  if (/^(var\/cache|var\/lib\/apt|var\/log|etc\/apt)(\/|$)/.test(path)) return false;
  if (/^usr\/share\/(man|lintian|gdb|gcc|info)(\/|$)/.test(path)) return false;
  if (path.startsWith('usr/share/doc/')) return /^usr\/share\/doc\/[^/]+(\/copyright)?$/.test(path);
  return true;
}

function runtimeFiles(): LayerEntry[] {
  const { uid, gid, name } = RECIPE.user;
  const text = (path: string, content: string): LayerEntry => ({
    path,
    type: 'file',
    mode: 0o644,
    content: Buffer.from(content),
  });
  return [
    text(
      'etc/passwd',
      `root:x:0:0:root:/root:/usr/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/${RECIPE.dataDir}:/usr/sbin/nologin\n`,
    ),
    text('etc/group', `root:x:0:\n${name}:x:${gid}:\n`),
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: RECIPE.dataDir, type: 'directory', mode: 0o700, uid, gid },
    { path: 'proc', type: 'directory', mode: 0o555 },
    { path: 'sys', type: 'directory', mode: 0o555 },
    { path: 'dev', type: 'directory', mode: 0o755 },
  ];
}

/**
 * Unpacks the recipe's Debian packages with mmdebstrap into `work`, reusing (and refilling)
 * the .deb files in `debCache`, and returns the base layer's entries.
 */
export async function debianEntries(work: string, debCache: string): Promise<LayerEntry[]> {
  await mkdir(debCache, { recursive: true });
  const output = join(work, 'debian.tar');
  const { suite, mirrors, packages } = RECIPE.debian;
  await runCommand(
    'debian base (mmdebstrap)',
    'mmdebstrap',
    [
      '--quiet',
      '--variant=extract',
      `--include=${packages.join(',')}`,
      '--skip=download/empty',
      '--skip=output/dev',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
      `--setup-hook=sync-in ${debCache} /var/cache/apt/archives/`,
      `--extract-hook=sync-out /var/cache/apt/archives ${debCache}`,
      suite,
      output,
      ...mirrors,
    ],
    { env: { ...process.env, SOURCE_DATE_EPOCH: String(RECIPE.sourceDateEpoch) } },
  );
  const unpacked = await tarEntries(output, keepDebianPath);
  const added = runtimeFiles();
  const addedPaths = new Set(added.map((e) => e.path));
  return [...unpacked.filter((e) => !addedPaths.has(e.path)), ...added];
}

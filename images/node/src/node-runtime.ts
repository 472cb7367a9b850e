/** The Node layer: the official `node` binary and its licence, from the npm registry's package. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { RECIPE } from './recipe.js';
import { runCommand } from './run-command.js';
import { type LayerEntry, tarEntries } from './tar-layer.js';

const WANTED: Record<string, string> = {
  'package/bin/node': 'usr/local/bin/node',
  'package/LICENSE': 'usr/local/share/doc/node/LICENSE',
};

/** The package tarball in `cache`, packed from the registry unless a copy with the recipe's integrity is there. */
async function nodePackage(cache: string): Promise<string> {
  const { package: name, version, integrity } = RECIPE.node;
  const file = join(cache, `${name}-${version}.tgz`);
  const matches = async () => {
    const bytes = await readFile(file).catch(() => undefined);
    return (
      bytes !== undefined && `sha512-${createHash('sha512').update(bytes).digest('base64')}` === integrity
    );
  };
  if (await matches()) return file;
  await mkdir(cache, { recursive: true });
  await runCommand(`node runtime (npm pack ${name}@${version})`, 'npm', [
    'pack',
    `${name}@${version}`,
    '--prefer-offline',
    '--pack-destination',
    cache,
  ]);
  if (!(await matches()))
    throw new Error(
      `${name}@${version}: the registry's tarball does not have the recipe's integrity ${integrity}`,
    );
  return file;
}

/** Fetches (once) the recipe's Node package and returns the layer's entries. */
export async function nodeRuntimeEntries(cache: string): Promise<LayerEntry[]> {
  const packed = await nodePackage(cache);
  const plain = join(cache, 'package.tar');
  await pipeline(createReadStream(packed), createGunzip(), createWriteStream(plain));
  const entries = await tarEntries(plain, (path) => path in WANTED);
  if (entries.length !== Object.keys(WANTED).length) {
    throw new Error(
      `${RECIPE.node.package}@${RECIPE.node.version}: expected ${Object.keys(WANTED).join(' and ')} in the package`,
    );
  }
  return entries.map((e) => ({
    ...e,
    path: WANTED[e.path]!,
    mode: e.path === 'package/bin/node' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
  }));
}

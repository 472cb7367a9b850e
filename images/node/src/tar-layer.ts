/**
 * Deterministic OCI layers: entries sorted by path, every mtime set to SOURCE_DATE_EPOCH,
 * numeric owners, no user or group names, no access or change times. The same entries give the
 * same bytes, hence the same sha256, on every build.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

/** One file, directory or symbolic link of a layer, at `path` (relative, no leading slash). */
export interface LayerEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  /** A file's bytes, or where to read them when the layer is written. */
  content?: Buffer | { readFrom: string };
}

export interface WrittenLayer {
  mediaType: 'application/vnd.oci.image.layer.v1.tar';
  /** sha256 of the uncompressed tar: the blob digest and the config's diff_id alike. */
  digest: string;
  size: number;
  entries: number;
}

/**
 * Every entry under `dir`, as it will appear under `prefix` in the layer, in sorted order;
 * `keep(relativePath)` drops a path (and all below it) when false.
 */
export async function directoryEntries(
  dir: string,
  prefix: string,
  keep: (relative: string) => boolean = () => true,
): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  async function walk(relative: string): Promise<void> {
    const names = (await readdir(join(dir, relative))).sort();
    for (const name of names) {
      const rel = relative ? `${relative}/${name}` : name;
      if (!keep(rel)) continue;
      const source = join(dir, rel);
      const stat = await lstat(source);
      const path = `${prefix}/${rel}`;
      const mode = stat.mode & 0o7777;
      if (stat.isSymbolicLink())
        entries.push({ path, type: 'symlink', mode: 0o777, linkname: await readlink(source) });
      else if (stat.isDirectory()) {
        entries.push({ path, type: 'directory', mode });
        await walk(rel);
      } else if (stat.isFile()) entries.push({ path, type: 'file', mode, content: { readFrom: source } });
      else
        throw new Error(`${source}: not a file, directory or symbolic link; an image layer cannot hold it`);
    }
  }
  await walk('');
  return entries;
}

/** The directories above `path` (`a`, `a/b` for `a/b/c`). */
function parents(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Sorts `entries` by path, adds any missing parent directory (mode 0755, root), refuses
 * duplicates, and writes the tar to `file`, returning its digest.
 */
export async function writeLayer(
  file: string,
  entries: LayerEntry[],
  epochSeconds: number,
): Promise<WrittenLayer> {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (!path || path.split('/').includes('..'))
      throw new Error(`layer entry '${entry.path}': not a relative path`);
    if (byPath.has(path)) throw new Error(`layer entry '${path}' appears twice`);
    byPath.set(path, { ...entry, path });
  }
  for (const path of [...byPath.keys()]) {
    for (const parent of parents(path)) {
      if (!byPath.has(parent)) byPath.set(parent, { path: parent, type: 'directory', mode: 0o755 });
    }
  }
  const sorted = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const mtime = new Date(epochSeconds * 1000);
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const temporary = `${file}.partial`;
  const written = pipeline(
    pack,
    async function* (chunks: AsyncIterable<unknown>) {
      for await (const chunk of chunks as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(temporary),
  );
  for (const entry of sorted) {
    const header: Partial<tar.Header> & { name: string } = {
      name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      uname: '',
      gname: '',
      mtime,
    };
    if (entry.type === 'symlink') header.linkname = entry.linkname!;
    const content =
      entry.type !== 'file'
        ? undefined
        : Buffer.isBuffer(entry.content)
          ? entry.content
          : await readFile(entry.content!.readFrom);
    if (content) header.size = content.length;
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, content ?? '', (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await written;
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(temporary, file);
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size, entries: sorted.length };
}

/** The entries of a tar file (regular files, directories, symbolic links; hard links as files). */
export async function tarEntries(file: string, keep: (path: string) => boolean): Promise<LayerEntry[]> {
  const extract = tar.extract();
  const entries: LayerEntry[] = [];
  const contents = new Map<string, Buffer>();
  const done = pipeline(createReadStream(file), extract);
  for await (const entry of extract) {
    const { header } = entry;
    const path = header.name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (header.type === 'file' || header.type === 'contiguous-file')
      contents.set(path, Buffer.concat(chunks));
    if (!path || !keep(path)) continue;
    const mode = (header.mode ?? 0o644) & 0o7777;
    const owner = { uid: header.uid ?? 0, gid: header.gid ?? 0 };
    if (header.type === 'directory') entries.push({ path, type: 'directory', mode, ...owner });
    else if (header.type === 'symlink')
      entries.push({ path, type: 'symlink', mode: 0o777, linkname: header.linkname!, ...owner });
    else if (header.type === 'file' || header.type === 'contiguous-file') {
      entries.push({ path, type: 'file', mode, content: contents.get(path)!, ...owner });
    } else if (header.type === 'link') {
      const target = header.linkname!.replace(/^\.?\/+/, '');
      const content = contents.get(target);
      if (!content)
        throw new Error(`${file}: hard link '${path}' to '${target}', which came before it nowhere`);
      entries.push({ path, type: 'file', mode, content, ...owner });
    } else
      throw new Error(
        `${file}: entry '${path}' is a ${header.type}; image layers hold files, directories and links`,
      );
  }
  await done;
  return entries;
}

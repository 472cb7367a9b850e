import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DType, dtypeInfo, isDType } from '../dtype.js';
import { tensorBytes, tensorFromBytes } from '../tensor.js';

/** What a challenger needs to be served later: every tensor of one execution, and its receipt. */
export interface StoredTrace {
  readonly modelId: string;
  readonly dtypes: readonly DType[];
  readonly values: readonly Int32Array[];
  /** JSON-safe receipt fields (bigints as strings), if the execution was signed. */
  readonly receipt?: Readonly<Record<string, string | number>>;
}

export interface TraceStoreOptions {
  /** Upper bound on the bytes of all stored traces; the oldest are evicted to stay under it. */
  readonly maxBytes: number;
}

const SUFFIX = '.trace';
const KEY = /^[0-9a-zA-Z_-]{1,128}$/;

interface Entry {
  readonly key: string;
  readonly bytes: number;
  readonly order: number;
}

/**
 * Recent traces on disk, keyed by a caller-chosen id (a receipt's trace root, say). Files are
 * written to a temporary name and renamed, so a crash never leaves a torn trace; the index is
 * rebuilt from the directory on open, so the store survives restarts. It never exceeds maxBytes.
 */
export class TraceStore {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private counter = 0;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, options: TraceStoreOptions): Promise<TraceStore> {
    if (!(options.maxBytes > 0))
      throw new Error(`trace store maxBytes must be positive, got ${options.maxBytes}`);
    await mkdir(dir, { recursive: true });
    const store = new TraceStore(dir, options.maxBytes);
    const found: { key: string; bytes: number; mtime: number }[] = [];
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const info = await stat(path);
      found.push({ key: name.slice(0, -SUFFIX.length), bytes: info.size, mtime: info.mtimeMs });
    }
    found.sort((a, b) => a.mtime - b.mtime || a.key.localeCompare(b.key));
    for (const f of found) store.remember(f.key, f.bytes);
    await store.evict(0);
    return store;
  }

  get totalBytes(): number {
    return this.total;
  }

  keys(): string[] {
    return [...this.entries.values()].sort((a, b) => a.order - b.order).map((e) => e.key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async put(key: string, trace: StoredTrace): Promise<void> {
    if (!KEY.test(key))
      throw new Error(`invalid trace key '${key}' (letters, digits, '-' and '_', at most 128)`);
    const bytes = encode(trace);
    if (bytes.length > this.maxBytes) {
      throw new Error(
        `trace '${key}' takes ${bytes.length} bytes, more than the store's cap of ${this.maxBytes}`,
      );
    }
    await this.delete(key);
    await this.evict(bytes.length);
    const path = this.pathOf(key);
    // A temporary name of its own: concurrent puts of one key must not rename each other's file.
    const temporary = `${path}.${process.pid}.${++this.counter}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    this.forget(key); // a concurrent put of the same key may have remembered it meanwhile
    this.remember(key, bytes.length);
  }

  async get(key: string): Promise<StoredTrace | undefined> {
    if (!this.entries.has(key)) return undefined;
    return decode(new Uint8Array(await readFile(this.pathOf(key))), key);
  }

  async delete(key: string): Promise<void> {
    if (!this.forget(key)) return;
    await rm(this.pathOf(key), { force: true });
  }

  /** Drops a key from the index (not from disk); false when it was not there. */
  private forget(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.total -= entry.bytes;
    return true;
  }

  private remember(key: string, bytes: number): void {
    this.entries.set(key, { key, bytes, order: this.counter++ });
    this.total += bytes;
  }

  /** Evicts the oldest traces until `incoming` more bytes fit under the cap. */
  private async evict(incoming: number): Promise<void> {
    for (const key of this.keys()) {
      if (this.total + incoming <= this.maxBytes) return;
      await this.delete(key);
    }
  }

  private pathOf(key: string): string {
    return join(this.dir, `${key}${SUFFIX}`);
  }
}

/** u32 header length ‖ JSON header (model, receipt, dtypes, lengths) ‖ each tensor's canonical bytes. */
function encode(trace: StoredTrace): Uint8Array {
  const bodies = trace.values.map((v, i) => tensorBytes(trace.dtypes[i]!, v));
  const header = new TextEncoder().encode(
    JSON.stringify({
      modelId: trace.modelId,
      receipt: trace.receipt,
      dtypes: trace.dtypes,
      counts: trace.values.map((v) => v.length),
    }),
  );
  const out = new Uint8Array(4 + header.length + bodies.reduce((s, b) => s + b.length, 0));
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function decode(bytes: Uint8Array, key: string): StoredTrace {
  const fail = (why: string): never => {
    throw new Error(`stored trace '${key}' is corrupt: ${why}`);
  };
  if (bytes.length < 4) fail('shorter than its header');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (4 + headerLength > bytes.length) fail('header runs past the end');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as {
    modelId: string;
    receipt?: Record<string, string | number>;
    dtypes: string[];
    counts: number[];
  };
  let at = 4 + headerLength;
  const values = header.counts.map((count, i) => {
    const dtype = header.dtypes[i];
    if (!isDType(dtype)) return fail(`unknown dtype of tensor ${i}`);
    const width = dtypeInfo(dtype).bytes;
    if (at + count * width > bytes.length) fail(`tensor ${i} runs past the end`);
    const value = tensorFromBytes(dtype, bytes.subarray(at, at + count * width), count);
    at += count * width;
    return value;
  });
  if (at !== bytes.length) fail('trailing bytes');
  return {
    modelId: header.modelId,
    dtypes: header.dtypes as DType[],
    values,
    ...(header.receipt ? { receipt: header.receipt } : {}),
  };
}

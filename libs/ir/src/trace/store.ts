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
  /**
   * Upper bound on the bytes of all stored traces. Nothing is ever evicted to stay under it: a
   * trace defends a receipt until its claim finalizes, so a full store refuses new traces
   * (`TraceStoreFullError`) and the caller refuses new work until the owner deletes some.
   */
  readonly maxBytes: number;
}

/** A put that would take the store past its cap; the caller should shed load and retry later. */
export class TraceStoreFullError extends Error {
  constructor(
    readonly key: string,
    readonly needed: number,
    readonly free: number,
  ) {
    super(`trace store is full: trace '${key}' needs ${needed} bytes, ${free} are free`);
    this.name = 'TraceStoreFullError';
  }
}

const SUFFIX = '.trace';
const KEY = /^[0-9a-zA-Z_-]{1,128}$/;

interface Entry {
  readonly key: string;
  readonly bytes: number;
  readonly order: number;
}

/**
 * Traces on disk, keyed by a caller-chosen id (a receipt's trace root, say), kept until their
 * owner deletes them. Files are written to a temporary name and renamed, so a crash never leaves
 * a torn trace; the index is rebuilt from the directory on open, so the store survives restarts.
 * It never exceeds maxBytes by a put (a directory found larger at open is kept whole, and full);
 * `tryReserve` lets concurrent producers claim room before they compute a trace.
 */
export class TraceStore {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private counter = 0;
  private reserved = 0;
  /** Bytes of puts under way: counted against the cap from the check to the rename. */
  private writing = 0;

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
    return store;
  }

  get totalBytes(): number {
    return this.total;
  }

  /** Bytes neither stored nor reserved. */
  get freeBytes(): number {
    return Math.max(0, this.maxBytes - this.total - this.writing - this.reserved);
  }

  /**
   * Holds `bytes` of room for a trace about to be computed, or returns undefined when there is
   * none: admission control, so that work is refused before it is done rather than lost after.
   * The returned function gives the room back (after the put, or when the work failed).
   */
  tryReserve(bytes: number): (() => void) | undefined {
    if (bytes > this.freeBytes) return undefined;
    this.reserved += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= bytes;
    };
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
    const replaced = this.entries.get(key)?.bytes ?? 0;
    // The caller's own reservation is what this put uses, so only stored bytes count here.
    const free = this.maxBytes - this.total - this.writing + replaced;
    if (bytes.length > free) throw new TraceStoreFullError(key, bytes.length, free);
    this.writing += bytes.length;
    try {
      const path = this.pathOf(key);
      // A temporary name of its own: concurrent puts of one key must not rename each other's file.
      const temporary = `${path}.${process.pid}.${++this.counter}.tmp`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
      this.forget(key); // the replaced version, or a concurrent put of the same key
      this.remember(key, bytes.length);
    } finally {
      this.writing -= bytes.length;
    }
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

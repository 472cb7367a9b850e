import { close, constants, openSync, write } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const writeAsync = promisify(write);
const closeAsync = promisify(close);
/** 'a' (append, create) with O_DSYNC: synchronized I/O data integrity, i.e. fdatasync per write. */
const APPEND_DURABLY = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

/**
 * An append-only journal of JSON records, one per line, each written and fsync'd before
 * `append` resolves: what was appended survives a crash or kill -9. Appends that arrive while a
 * write is under way are committed together, with one write and one fsync (group commit). On
 * open, a torn last line (the process died mid-write) is dropped; any other unreadable line is
 * an error naming it.
 */
export class Journal<T> {
  private readonly queue: { record: T; resolve: () => void; reject: (error: Error) => void }[] = [];
  private writing = false;
  private closed = false;
  /**
   * Kept open until `close`, and opened with O_DSYNC: each write returns once its bytes and the
   * file's new length are on disk, as write + fdatasync would, in one system call on one
   * thread-pool task instead of two with a turn of the event loop between them.
   */
  private fd?: number;
  /** Resolves when the drain in progress (if any) has committed everything queued. */
  private drained: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly records: T[],
  ) {}

  static async open<T>(file: string, parse: (value: unknown, line: number) => T): Promise<Journal<T>> {
    await mkdir(dirname(file), { recursive: true });
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n');
    const complete = lines.slice(0, -1); // the last piece is empty, or a torn record
    const records = complete.map((line, i) => {
      try {
        return parse(JSON.parse(line, reviveBigInt), i + 1);
      } catch (error) {
        throw new Error(`${file}:${i + 1}: unreadable journal record: ${(error as Error).message}`);
      }
    });
    const journal = new Journal<T>(file, records);
    if (!text.endsWith('\n') && text.length > 0) await journal.rewrite();
    return journal;
  }

  get all(): readonly T[] {
    return this.records;
  }

  /** Resolves once the record is on disk; records become visible in `all` in append order. */
  append(record: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.file}: the journal is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.writing) this.startDrain();
    });
  }

  private startDrain(): void {
    this.writing = true;
    // Started on the next turn: every append of this turn joins the first commit.
    this.drained = new Promise<void>((done) => setImmediate(() => void this.drain().then(done)));
  }

  /**
   * Rewrites the journal with each record passed through `transform` (to drop what is no longer
   * needed), atomically: a new file is written and fsync'd, then renamed over the old one.
   * Appends made meanwhile wait and are committed to the new file after.
   */
  async compact(transform: (record: T) => T): Promise<void> {
    while (this.writing) await this.drained;
    this.writing = true;
    try {
      const count = this.records.length;
      const records = this.records.slice(0, count).map(transform);
      const fresh = `${this.file}.compacting`;
      const handle = await open(fresh, 'w');
      try {
        await handle.write(records.map((r) => `${JSON.stringify(r, replaceBigInt)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(fresh, this.file);
      const dir = await open(dirname(this.file), 'r');
      try {
        await dir.sync(); // the rename itself survives a crash
      } finally {
        await dir.close();
      }
      if (this.fd !== undefined) await closeAsync(this.fd);
      this.fd = undefined;
      for (let i = 0; i < count; i++) this.records[i] = records[i]!;
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.startDrain();
    }
  }

  /** Commits what is queued, then closes the descriptor; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drained;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await closeAsync(fd);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        this.fd ??= openSync(this.file, APPEND_DURABLY, 0o666);
        const bytes = Buffer.from(batch.map((b) => `${JSON.stringify(b.record, replaceBigInt)}\n`).join(''));
        for (let at = 0; at < bytes.length; ) at += (await writeAsync(this.fd, bytes, at)).bytesWritten;
        for (const b of batch) this.records.push(b.record);
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error as Error);
      }
    }
    this.writing = false;
  }

  /** Drops a torn tail by rewriting the complete records. */
  private async rewrite(): Promise<void> {
    const handle = await open(this.file, 'w');
    try {
      for (const r of this.records) await handle.write(`${JSON.stringify(r, replaceBigInt)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

const BIGINT = /^(-?\d+)n$/;

function replaceBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

function reviveBigInt(_key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    const m = BIGINT.exec(value);
    if (m) return BigInt(m[1]!);
  }
  return value;
}

import { fdatasync, openSync, write } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const writeAsync = promisify(write);
const datasyncAsync = promisify(fdatasync);

import { dirname } from 'node:path';

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
  /**
   * Kept open for the journal's life (a plain descriptor: it is closed with the process), so a
   * group commit is one write and one fdatasync rather than open, write, fsync and close.
   */
  private fd?: number;

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
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        this.fd ??= openSync(this.file, 'a');
        const bytes = Buffer.from(batch.map((b) => `${JSON.stringify(b.record, replaceBigInt)}\n`).join(''));
        for (let at = 0; at < bytes.length; ) at += (await writeAsync(this.fd, bytes, at)).bytesWritten;
        // fdatasync: the appended bytes and the file's new length; not its timestamps.
        await datasyncAsync(this.fd);
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

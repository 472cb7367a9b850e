import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeploymentRecord } from './types.js';

export interface RecordStore {
  get(id: string): Promise<DeploymentRecord | undefined>;
  put(record: DeploymentRecord): Promise<void>;
  list(): Promise<DeploymentRecord[]>;
  delete(id: string): Promise<void>;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * One JSON file per deployment under `dir`. Writes are atomic: write a temporary file in the
 * same directory, fsync it, rename it over the old one, fsync the directory. A crash leaves
 * either the old record or the new one, never a torn file.
 */
export class JsonFileRecordStore implements RecordStore {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    if (!idPattern.test(id)) throw new Error(`invalid deployment id '${id}'`);
    return join(this.dir, `${id}.json`);
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.file(id), 'utf8')) as DeploymentRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(record: DeploymentRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.file(record.id);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } catch {
      // some filesystems refuse fsync on directories; the rename is still atomic
    } finally {
      await dh.close();
    }
  }

  async list(): Promise<DeploymentRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: DeploymentRecord[] = [];
    for (const n of names.filter((n) => n.endsWith('.json')).sort()) {
      const r = await this.get(n.slice(0, -'.json'.length));
      if (r) out.push(r);
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }
}

/** In-memory store (tests, short-lived tools). Records are deep-copied in and out. */
export class MemoryRecordStore implements RecordStore {
  private readonly map = new Map<string, string>();
  async get(id: string) {
    const s = this.map.get(id);
    return s === undefined ? undefined : (JSON.parse(s) as DeploymentRecord);
  }
  async put(record: DeploymentRecord) {
    this.map.set(record.id, JSON.stringify(record));
  }
  async list() {
    return [...this.map.values()].map((s) => JSON.parse(s) as DeploymentRecord);
  }
  async delete(id: string) {
    this.map.delete(id);
  }
}

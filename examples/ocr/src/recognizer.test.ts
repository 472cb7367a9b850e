import { describe, expect, it } from 'vitest';
import { recognizerAlphabet } from './models.js';
import { ctcDecode, editDistance } from './recognizer.js';

describe('CTC decoding and character error rate', () => {
  it('merges repeats, drops blanks, and keeps a repeat separated by a blank', () => {
    const alphabet = ['', 'a', 'b'];
    // Steps' best classes: a a blank a b b blank → "aab".
    const best = [1, 1, 0, 1, 2, 2, 0];
    const scores = best.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    expect(ctcDecode(scores, 3, alphabet)).toBe('aab');
  });

  it('counts edits by code point', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('日本語', '日本')).toBe(1);
  });

  it("reads PaddleOCR's 6,625 CTC classes: blank, ppocr_keys_v1.txt, space", () => {
    const alphabet = recognizerAlphabet();
    expect(alphabet).toHaveLength(6625);
    expect(alphabet[0]).toBe('');
    expect(alphabet.at(-1)).toBe(' ');
  });
});

import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES } from '../commit/tensor-digest.js';
import { type ConvSplitShape, channelsPerLink, worstTileChunks } from './conv-split.js';

const conv = (channels: number, height: number, width: number, kernel = 1, stride = 1): ConvSplitShape => ({
  channels,
  height,
  width,
  valueBytes: 2,
  kernelHeight: kernel,
  kernelWidth: kernel,
  strideHeight: stride,
  dilationHeight: 1,
});

describe('channelsPerLink', () => {
  it('keeps a Conv whole without a split, under minInputBytes, or when every channel fits', () => {
    expect(channelsPerLink(undefined, conv(96, 48, 96, 3))).toBe(96);
    expect(channelsPerLink({ minInputBytes: 1 << 20, tileChunks: 4 }, conv(96, 48, 96, 3))).toBe(96);
    expect(channelsPerLink({ tileChunks: 4 }, conv(4, 4, 8))).toBe(4);
    expect(channelsPerLink({}, conv(96, 48, 96, 3))).toBe(96);
  });

  it('takes a fixed channel count as given, at least one and at most every channel', () => {
    expect(channelsPerLink({ channels: 3 }, conv(96, 48, 96, 3))).toBe(3);
    expect(channelsPerLink({ channels: 0 }, conv(96, 48, 96, 3))).toBe(1);
    expect(channelsPerLink({ channels: 500 }, conv(96, 48, 96, 3))).toBe(96);
  });

  it("gives each link as many channels as keep a tile's worst-case opening within tileChunks", () => {
    // PP-OCRv4 detector shapes at 192 × 384 (i16): a 3 × 3 conv over 48 × 96 reads four rows of
    // 192 bytes a channel (two chunks at worst); 1 × 1 convs over small planes read whole planes.
    const cases: [ConvSplitShape, number][] = [
      [conv(96, 48, 96, 3), 2],
      [conv(3, 192, 384, 3, 2), 1],
      [conv(192, 12, 24), 5],
      [conv(384, 6, 12), 21],
      [conv(48, 24, 48), 2],
    ];
    for (const [shape, perLink] of cases) {
      expect(channelsPerLink({ tileChunks: 4 }, shape), JSON.stringify(shape)).toBe(perLink);
      if (perLink > 1) expect(worstTileChunks(shape, perLink)).toBeLessThanOrEqual(4);
      if (perLink < shape.channels) expect(worstTileChunks(shape, perLink + 1)).toBeGreaterThan(4);
    }
  });

  it('caps the products a link computes for one output with tileProducts', () => {
    // 3 × 3 over 96 channels of 6 × 12: 21 channels fit four chunks, 189 products an output.
    expect(channelsPerLink({ tileChunks: 4 }, conv(96, 6, 12, 3))).toBe(21);
    expect(channelsPerLink({ tileChunks: 4, tileProducts: 100 }, conv(96, 6, 12, 3))).toBe(11);
    expect(channelsPerLink({ tileChunks: 4, tileProducts: 100 }, conv(384, 6, 12))).toBe(21);
    expect(channelsPerLink({ tileChunks: 4, tileProducts: 5 }, conv(96, 6, 12, 3))).toBe(1);
  });

  it('bounds the chunks a tile really opens: every window of the counted bytes touches at most that many', () => {
    // A range of n bytes starting anywhere touches at most ⌈n / CHUNK⌉ + 1 chunks.
    for (const n of [1, 48, 576, 1000, 1024, 1025, 2304, 9216]) {
      let most = 0;
      for (let offset = 0; offset < CHUNK_BYTES; offset += 8)
        most = Math.max(most, Math.floor((offset + n - 1) / CHUNK_BYTES) + 1);
      expect(most).toBeLessThanOrEqual(Math.ceil(n / CHUNK_BYTES) + 1);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES } from '../commit/tensor-digest.js';
import { type ConvSplitShape, channelsPerLink, linkChannels, worstTileChunks } from './conv-split.js';

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

  it('lists each link: perLink channels, the rest in the last, which lastTileChunks may halve', () => {
    const sum = (links: number[]) => links.reduce((a, c) => a + c, 0);
    expect(linkChannels(undefined, conv(96, 48, 96, 3))).toEqual([96]);
    expect(linkChannels({ tileChunks: 4 }, conv(4, 4, 8))).toEqual([4]);
    // 1 × 1 over 192 channels of 12 × 24: 5 a link, 38 links of 5 and the 2 left over.
    const detector = linkChannels({ tileChunks: 4 }, conv(192, 12, 24));
    expect(detector).toEqual([...new Array(38).fill(5), 2]);
    // lastTileChunks binds only when the last link holds more channels than it allows.
    expect(linkChannels({ tileChunks: 4, lastTileChunks: 3 }, conv(192, 12, 24))).toEqual(detector);
    // 3 × 3 over 96 channels of 48 × 96: 2 a link; a last link within 3 chunks holds 1 channel.
    const split = { tileChunks: 4, tileProducts: 48, lastTileChunks: 3 };
    const links = linkChannels(split, conv(96, 48, 96, 3));
    expect(links).toEqual([...new Array(47).fill(2), 1, 1]);
    expect(worstTileChunks(conv(96, 48, 96, 3), 1)).toBeLessThanOrEqual(3);
    expect(worstTileChunks(conv(96, 48, 96, 3), 2)).toBeGreaterThan(3);
    // A fixed channel count ignores the last link's budget.
    expect(sum(linkChannels({ channels: 3, lastTileChunks: 1 }, conv(96, 48, 96, 3)))).toBe(96);
    expect(linkChannels({ channels: 3, lastTileChunks: 1 }, conv(96, 48, 96, 3)).at(-1)).toBe(3);
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

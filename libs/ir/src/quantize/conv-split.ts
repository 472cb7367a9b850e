import { CHUNK_BYTES } from '../commit/tensor-digest.js';

/**
 * How a group-1 Conv is split into a chain of ConvAccumulate links over its input channels
 * (docs/decisions.md, "The detector's wide convolutions split over input channels"). Either a
 * fixed number of channels a link, or a budget of input chunks one tile of a link may open.
 */
export interface ConvSplit {
  /** Convs whose input (one batch item) is at most this many bytes stay whole (default 0). */
  readonly minInputBytes?: number;
  /** Input channels per link. */
  readonly channels?: number;
  /**
   * The most input chunks (of `CHUNK_BYTES`) a tile of one link may need opened, in the worst
   * alignment: each link then gets as many channels as fit. A one-step's calldata is mostly its
   * openings, and under EIP-7623 every byte of it costs up to 40 gas, so this bounds its gas.
   */
  readonly tileChunks?: number;
  /**
   * With `tileChunks`: the most products (channels · kh · kw) a link may compute for one output.
   * A link's tile is at least one output, and the kernel's gas grows with its products.
   */
  readonly tileProducts?: number;
  /**
   * With `tileChunks`: the most input chunks a tile of the chain's last link may open (default
   * `tileChunks`). The last link requantizes: its output chunk holds two (i16) or four (i8) times
   * the values of an accumulator's, so its tile reads more input rows and opens the accumulator
   * over as many outputs; a smaller budget gives it fewer channels than the others (the channels
   * it does not take go into a link of their own before it).
   */
  readonly lastTileChunks?: number;
  /**
   * What becomes of a pointwise Conv (1 × 1, stride 1, no padding, group 1) that the split would
   * cut into more than one link: `'links'` (the default) splits it as any other Conv;
   * `'channels-last'` lowers it instead as Transpose to [N, H, W, C] → MatMul with its weights
   * [O, C] → Transpose back to [N, O, H, W], the same integers (docs/decisions.md, "The
   * recognizer's pointwise Convs run channels-last"). A MatMul tile reads one output's C input
   * values side by side, where a Conv tile reads one value from each of C planes, so no links are
   * needed and the trace keeps one tensor where a chain writes an accumulator a link.
   */
  readonly pointwise?: 'links' | 'channels-last';
}

/** How a tile of one output row reads its input: the window of a Conv (or its equivalent). */
export interface ConvSplitWindow {
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly dilationHeight: number;
}

/** The shape facts the split needs about one Conv: its input and its window. */
export interface ConvSplitShape extends ConvSplitWindow {
  /** Input channels, rows, columns and the bytes of one input value. */
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly valueBytes: number;
}

/**
 * Input channels per link for a Conv of `shape` under `split`, or `shape.channels` when the Conv
 * stays whole.
 */
export function channelsPerLink(split: ConvSplit | undefined, shape: ConvSplitShape): number {
  const { channels, height, width, valueBytes } = shape;
  if (!split || channels * height * width * valueBytes <= (split.minInputBytes ?? 0)) return channels;
  if (split.channels !== undefined) return Math.min(channels, Math.max(1, split.channels));
  if (split.tileChunks === undefined) return channels;
  return channelsWithin(split, shape, split.tileChunks);
}

/**
 * The input channels of each link of a Conv of `shape` under `split`, in order (`[channels]` when
 * it stays whole): `channelsPerLink` a link, the channels left over in the last, and that last
 * link halved into two when it holds more than `lastTileChunks` allows.
 */
export function linkChannels(split: ConvSplit | undefined, shape: ConvSplitShape): number[] {
  const { channels } = shape;
  const perLink = channelsPerLink(split, shape);
  if (perLink >= channels) return [channels];
  const links = new Array<number>(Math.ceil(channels / perLink)).fill(perLink);
  links[links.length - 1] = channels - perLink * (links.length - 1);
  const budget = split?.channels === undefined ? split?.lastTileChunks : undefined;
  const last = budget === undefined ? channels : channelsWithin(split!, shape, budget);
  const final = links.at(-1)!;
  if (final > last) links.splice(-1, 1, final - last, last);
  return links;
}

/** The most channels (at least one) whose tile opens at most `chunks` and computes at most `tileProducts`. */
function channelsWithin(split: ConvSplit, shape: ConvSplitShape, chunks: number): number {
  const fits = (c: number) =>
    worstTileChunks(shape, c) <= chunks &&
    c * shape.kernelHeight * shape.kernelWidth <= (split.tileProducts ?? Number.POSITIVE_INFINITY);
  let perLink = 1;
  while (perLink < shape.channels && fits(perLink + 1)) perLink++;
  return perLink;
}

/**
 * The most input chunks a tile of a link over `c` channels opens: the input rows under one output
 * row and the next (a tile may end on the following row) in each channel, listed per channel, or
 * the c channels' planes as one contiguous range when that is fewer; each range may straddle one
 * chunk boundary more than its length needs.
 */
export function worstTileChunks(shape: ConvSplitShape, c: number): number {
  const { height, width, valueBytes, kernelHeight, strideHeight, dilationHeight } = shape;
  const planeBytes = height * width * valueBytes;
  const rows = Math.min(height, (kernelHeight - 1) * dilationHeight + 1 + strideHeight);
  const perChannel = Math.ceil((rows * width * valueBytes) / CHUNK_BYTES) + 1;
  const contiguous = Math.ceil((c * planeBytes) / CHUNK_BYTES) + 1;
  return Math.min(c * perChannel, contiguous);
}

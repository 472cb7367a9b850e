import {
  chunksOf,
  createModel,
  type DType,
  dtypeInfo,
  edgeInputsOf,
  edgeOutputsOf,
  executeTile,
  GraphBuilder,
  inputChannelWeights,
  merkleMultiproof,
  Random,
  randomActivationGraph,
  sha256,
  sizeOf,
  tensorBytes,
  tilesOf,
  toHex,
} from '@stoa/ir';
import { type Address, decodeAbiParameters, encodeAbiParameters, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { deployReexecVerifier } from './deploy.js';
import { honestView } from './game/scenario.js';
import { OPENINGS_ABI, tileWitness } from './game/witness.js';
import { stepDescriptor } from './one-step/descriptor.js';
import { reexecVerifierAbi } from './one-step/verifier-abi.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const GRAPHS = 6;
/** Wide Conv and ConvTranspose graphs, and tiles of each, whose input is opened as several ranges. */
const WIDE_GRAPHS = 8;
const TILES = 6;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let verifier: Address;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  verifier = await deployReexecVerifier((artifact, args) => h.deploy(DEV_ACCOUNTS[0], artifact, args));
});
afterAll(async () => {
  await chain?.stop();
});

describe('ReexecVerifier on the ops it forwards to its ExtensionVerifier and GatherVerifier', () => {
  it('settles tiles of Clip and HardSigmoid (ExtensionVerifier) and of Add and Mul (GatherVerifier) against opened inputs', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const { model, inputs } = randomActivationGraph(seed);
      const view = await honestView(model, inputs);
      for (let step = 0; step < model.schedule.length; step++) {
        const edge = model.schedule[step]!;
        const tile = tilesOf(model.graph, edge)[0]!;
        const stepInputs = stepDescriptor(model, step).inputNodes.map((n) => view.values[n]!);
        const out = executeTile(model.graph, edge, stepInputs, tile);
        const dtype = model.graph.nodeTypes[edgeOutputsOf(model.graph, edge)[0]!]!.dtype;
        const hash = await h.read(verifier, reexecVerifierAbi, 'outputHash', [
          toHex(view.trace.stateRoots[step]!),
          stepDescriptor(model, step),
          BigInt(tile.start),
          BigInt(tile.end),
          tileWitness(view, step, tile.start, tile.end),
        ]);
        expect(hash, `seed ${seed} step ${step} ${model.graph.edgeOps[edge]}`).toBe(
          toHex(sha256(tensorBytes(dtype, out))),
        );
        seen.add(model.graph.edgeOps[edge]!);
      }
    }
    expect([...seen].sort()).toEqual(['Add', 'Clip', 'HardSigmoid', 'Mul']);
  });
});

/**
 * A Conv or ConvTranspose whose input planes are several KiB, so that a tile reading every
 * channel of a few pixels opens those rows of each channel (several ranges) instead of the
 * whole run of planes between them.
 */
function wideConv(seed: number) {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const transposed = seed % 2 === 0;
  const act: DType = rng.next() < 0.5 ? 'i8' : 'i16';
  const shape = [1, rng.int(2, 5), rng.int(6, 12), rng.int(150, 300)];
  const x = b.input('x', { dtype: act, shape, frac: rng.int(0, 6) });
  const c = shape[1]!;
  const o = rng.int(1, 3);
  const k = transposed ? rng.int(1, 3) : rng.pick([1, 3]);
  const fracs = Array.from({ length: o }, () => rng.int(0, 6));
  const w = b.param(
    'w',
    { dtype: 'i8', shape: [o, c, k, k], frac: { axis: 0, fracs } },
    rng.ints(o * c * k * k, -128, 127),
  );
  const bias = b.param(
    'bias',
    {
      dtype: 'i32',
      shape: [o],
      frac: { axis: 0, fracs: fracs.map((f) => f + (b.typeOf(x).frac as number)) },
    },
    rng.ints(o, -20000, 20000),
  );
  const stride = rng.int(1, 2);
  const pad = k > 1 ? rng.int(0, 1) : 0;
  const attrs = transposed
    ? { strides: [stride, stride], pads: [pad, pad, pad, pad] }
    : { strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1] };
  b.output(
    b.op(transposed ? 'ConvTranspose' : 'Conv', [x, w, bias], { dtype: 'i16', frac: rng.int(0, 8), attrs }),
  );
  const model = createModel(b.build(), `wide-conv-${seed}`);
  const { min, max } = dtypeInfo(act);
  return { model, inputs: [{ dtype: act, shape, data: rng.ints(sizeOf(shape), min, max) }], rng };
}

type Opening = {
  chunks: readonly bigint[];
  chunkProof: readonly Hex[];
  data: Hex;
  firstChunk: bigint;
};

/** `hex` with bit 0 of byte `at` flipped. */
const flipByte = (hex: Hex, at: number): Hex => {
  const b = Buffer.from(hex.slice(2), 'hex');
  b[at] = b[at]! ^ 1;
  return toHex(b);
};

/**
 * Settles TILES tiles of step `index` (first, last, middle, random) through ReexecVerifier with
 * tileWitness's openings, and refuses input 0's opening with a changed byte (ChunkNotInTensor) or,
 * where it has a multiproof, a changed sibling (ChunkNotInTensor). Where input 0 was listed as
 * several ranges, also refuses it unsorted (ChunkOutOfRange) and without its last listed chunk,
 * with that set's own multiproof (CannotCrop). Resolves to the number of listed openings.
 */
async function settleTiles(
  model: ReturnType<typeof wideConv>['model'],
  inputs: ReturnType<typeof wideConv>['inputs'],
  rng: Random,
  index: number,
): Promise<number> {
  let several = 0;
  const view = await honestView(model, inputs);
  const edge = model.schedule[index]!;
  const tiles = tilesOf(model.graph, edge);
  const picks = [0, tiles.length - 1, Math.floor(tiles.length / 2)];
  while (picks.length < TILES) picks.push(rng.int(0, tiles.length - 1));
  const dtype = model.graph.nodeTypes[edgeOutputsOf(model.graph, edge)[0]!]!.dtype;
  for (const t of picks) {
    const tile = tiles[t]!;
    const witness = tileWitness(view, index, tile.start, tile.end);
    const args = (w: Hex) => [
      toHex(view.trace.stateRoots[index]!),
      stepDescriptor(model, index),
      BigInt(tile.start),
      BigInt(tile.end),
      w,
    ];
    const label = `${model.name} step ${index} ${model.graph.edgeOps[edge]} tile ${t}`;
    const stepInputs = stepDescriptor(model, index).inputNodes.map(
      (n) => view.values[n] ?? model.graph.params.get(n)!,
    );
    const expected = toHex(sha256(tensorBytes(dtype, executeTile(model.graph, edge, stepInputs, tile))));
    expect(await h.read(verifier, reexecVerifierAbi, 'outputHash', args(witness)), label).toBe(expected);
    const [openings] = decodeAbiParameters(OPENINGS_ABI, witness) as unknown as [Opening[]];
    const x = openings[0]!;
    const refused = (changed: Opening, error: RegExp) =>
      expect(
        h.read(
          verifier,
          reexecVerifierAbi,
          'outputHash',
          args(encodeAbiParameters(OPENINGS_ABI, [[changed, ...openings.slice(1)] as never])),
        ),
        label,
      ).rejects.toThrow(error);
    if (x.data.length > 2)
      await refused({ ...x, data: flipByte(x.data, (x.data.length - 2) / 2 - 1) }, /ChunkNotInTensor/);
    if (x.chunkProof.length > 0) {
      await refused(
        { ...x, chunkProof: [flipByte(x.chunkProof[0]!, 31), ...x.chunkProof.slice(1)] },
        /ChunkNotInTensor/,
      );
    }
    if (x.chunks.length === 0) continue;
    several++;
    const chunks = chunksOf(
      tensorBytes(model.graph.nodeTypes[stepDescriptor(model, index).inputNodes[0]!]!.dtype, stepInputs[0]!),
    );
    const listed = x.chunks.map(Number);
    // The last two listed chunks swapped (data and proof as they were): refused before any hashing.
    const swapped = [...x.chunks.slice(0, -2), x.chunks.at(-1)!, x.chunks.at(-2)!];
    if (swapped.length >= 2)
      await refused({ ...x, chunks: swapped, firstChunk: swapped[0]! }, /ChunkOutOfRange/);
    // Without the last listed chunk, the rows of some channel are missing: refused.
    const cut = {
      ...x,
      chunks: x.chunks.slice(0, -1),
      chunkProof: merkleMultiproof(chunks, listed.slice(0, -1)).map((w) => toHex(w)),
      data: x.data.slice(0, 2 + 2 * 1024 * (x.chunks.length - 1)) as Hex,
    };
    await refused(cut, /CannotCrop/);
  }
  return several;
}

/**
 * A wide Conv's (ConvTranspose's) graph, its Conv replaced by a chain of ConvAccumulate
 * (ConvTransposeAccumulate) links of 1–3 input channels.
 */
function wideConvChain(seed: number, transposed = false) {
  const { model, inputs, rng } = wideConv(transposed ? 2 * seed : 2 * seed - 1);
  const g = model.graph;
  const edge = model.schedule[0]!;
  const [xNode, wNode, biasNode] = [...edgeInputsOf(g, edge)] as [number, number, number];
  const b = new GraphBuilder();
  const x = b.input('x', g.nodeTypes[xNode]!);
  const wType = g.nodeTypes[wNode]!;
  const { strides, pads, dilations } = g.edgeAttrs[edge] as Record<string, number[]>;
  const window = transposed ? { strides, pads } : { strides, pads, dilations };
  const out = g.nodeTypes[edgeOutputsOf(g, edge)[0]!]!;
  const channels = wType.shape[1]!;
  const perLink = rng.int(1, 3);
  let previous = b.param('bias', g.nodeTypes[biasNode]!, g.params.get(biasNode)!);
  for (let start = 0; start < channels; start += perLink) {
    const c = Math.min(perLink, channels - start);
    const last = start + c === channels;
    const link = b.param(
      `w${start}`,
      { ...wType, shape: [wType.shape[0]!, c, ...wType.shape.slice(2)] },
      inputChannelWeights(g.params.get(wNode)!, wType.shape, start, c),
    );
    previous = b.op(transposed ? 'ConvTransposeAccumulate' : 'ConvAccumulate', [x, link, previous], {
      ...(last ? { dtype: out.dtype, frac: out.frac as number } : { dtype: 'i32', frac: 0 }),
      attrs: { ...window, start, requantize: last ? 1 : 0 },
    });
  }
  b.output(previous);
  return { model: createModel(b.build(), `wide-conv-chain-${seed}`), inputs, rng };
}

describe('ReexecVerifier opens a Conv, ConvTranspose, ConvAccumulate or ConvTransposeAccumulate input as several ranges', () => {
  it('settles tiles whose input rows are opened channel by channel, and refuses a missing range', async () => {
    let several = 0;
    for (let seed = 1; seed <= WIDE_GRAPHS; seed++) {
      const { model, inputs, rng } = wideConv(seed);
      several += await settleTiles(model, inputs, rng, 0);
    }
    // Most tiles of these shapes read a few rows of every channel: several ranges were opened.
    expect(several).toBeGreaterThan(WIDE_GRAPHS * 2);
  });

  it.each([
    ['ConvAccumulate', false],
    ['ConvTransposeAccumulate', true],
  ] as const)(
    "settles %s tiles whose input rows are opened in the link's channels only (ConvAccumulateVerifier)",
    async (_, transposed) => {
      let several = 0;
      let links = 0;
      for (let seed = 1; seed <= WIDE_GRAPHS / 2; seed++) {
        const { model, inputs, rng } = wideConvChain(seed, transposed);
        for (let index = 0; index < model.schedule.length; index++) {
          several += await settleTiles(model, inputs, rng, index);
          links++;
        }
      }
      expect(several).toBeGreaterThan(links);
    },
  );
});

/**
 * A Transpose whose output blocks are not whole tiles (a tile reads the end and the start of
 * its input), or an Add of a [1, R, P] input and a bias of P elements, P odd (a tile across two
 * rows reads the bias's end and start): both several KiB, i16.
 */
function gatheredGraph(seed: number) {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const transpose = seed % 2 === 1;
  const shape = transpose
    ? [1, rng.int(20, 40), 3, rng.int(4, 8), rng.int(9, 16)]
    : [1, rng.int(3, 6), 2 * rng.int(400, 1500) + 1];
  const x = b.input('x', { dtype: 'i16', shape, frac: rng.int(0, 6) });
  if (transpose) b.output(b.op('Transpose', [x], { attrs: { perm: [2, 0, 3, 1, 4] } }));
  else {
    const p = shape[2]!;
    const bias = b.param(
      'bias',
      { dtype: 'i16', shape: [p], frac: rng.int(0, 6) },
      rng.ints(p, -30000, 30000),
    );
    b.output(b.op('Add', [x, bias], { dtype: 'i16', frac: rng.int(0, 6) }));
  }
  const model = createModel(b.build(), `gathered-${seed}`);
  return { model, inputs: [{ dtype: 'i16' as const, shape, data: rng.ints(sizeOf(shape), -32768, 32767) }] };
}

describe('ReexecVerifier opens a Transpose input and a broadcast Add operand as the chunks a tile reads (GatherVerifier)', () => {
  it('settles tiles whose reads wrap from the end of an input to its start, and refuses a missing chunk', async () => {
    let listed = 0;
    const listedOps = new Set<string>();
    for (let seed = 1; seed <= 4; seed++) {
      const { model, inputs } = gatheredGraph(seed);
      const view = await honestView(model, inputs);
      const edge = model.schedule[0]!;
      const dtype = model.graph.nodeTypes[edgeOutputsOf(model.graph, edge)[0]!]!.dtype;
      const stepInputs = stepDescriptor(model, 0).inputNodes.map(
        (n) => view.values[n] ?? model.graph.params.get(n)!,
      );
      const tiles = tilesOf(model.graph, edge);
      // The tiles across an output block (row) boundary and the first tile.
      const [, n, , , d] = inputs[0]!.shape as number[];
      const block = model.graph.edgeOps[edge] === 'Transpose' ? n! * d! : inputs[0]!.shape[2]!;
      const picks = tiles
        .filter((t, k) => k === 0 || Math.floor(t.start / block) !== Math.floor((t.end - 1) / block))
        .slice(0, 4);
      for (const tile of picks) {
        const label = `${model.name} ${model.graph.edgeOps[edge]} [${tile.start}, ${tile.end})`;
        const args = (w: Hex) => [
          toHex(view.trace.stateRoots[0]!),
          stepDescriptor(model, 0),
          BigInt(tile.start),
          BigInt(tile.end),
          w,
        ];
        const witness = tileWitness(view, 0, tile.start, tile.end);
        const expected = toHex(sha256(tensorBytes(dtype, executeTile(model.graph, edge, stepInputs, tile))));
        expect(await h.read(verifier, reexecVerifierAbi, 'outputHash', args(witness)), label).toBe(expected);
        const [openings] = decodeAbiParameters(OPENINGS_ABI, witness) as unknown as [Opening[]];
        const j = openings.findIndex((o) => o.chunks.length > 1);
        if (j < 0) continue;
        listed++;
        listedOps.add(model.graph.edgeOps[edge]!);
        // Every listed chunk is read: without the last one, an element is missing.
        const o = openings[j]!;
        const inputChunks = chunksOf(
          tensorBytes(model.graph.nodeTypes[stepDescriptor(model, 0).inputNodes[j]!]!.dtype, stepInputs[j]!),
        );
        const cut = {
          ...o,
          chunks: o.chunks.slice(0, -1),
          chunkProof: merkleMultiproof(inputChunks, o.chunks.slice(0, -1).map(Number)).map((w) => toHex(w)),
          data: o.data.slice(0, 2 + 2 * 1024 * (o.chunks.length - 1)) as Hex,
        };
        const fewer = encodeAbiParameters(OPENINGS_ABI, [
          openings.map((x, k) => (k === j ? cut : x)) as never,
        ]);
        await expect(h.read(verifier, reexecVerifierAbi, 'outputHash', args(fewer)), label).rejects.toThrow(
          /InputNotOpened/,
        );
      }
    }
    // Each graph has tiles across a block: those open two distant ranges as listed chunks.
    // (A Transpose tile is 4 outputs: only seed 1's 33 × 13 blocks are not whole tiles.)
    expect(listed).toBeGreaterThanOrEqual(4);
    expect([...listedOps].sort()).toEqual(['Add', 'Transpose']);
  });
});

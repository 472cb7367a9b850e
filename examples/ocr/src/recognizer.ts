import { readFileSync } from 'node:fs';
import {
  type ConvSplit,
  createOnnxRuntimeBackend,
  dequantizeOutput,
  type FloatGraph,
  type ImportResult,
  importOnnx,
  importOnnxFloat,
  quantizeInput,
  Random,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { lineInput } from './classifier.js';
import { textLines } from './corpus.js';
import {
  RECOGNIZER_DIMS,
  RECOGNIZER_FILE,
  RECOGNIZER_HEIGHT,
  RECOGNIZER_WIDTH,
  recognizerAlphabet,
} from './models.js';
import { FONTS, renderLine } from './render.js';

export interface TextLine {
  readonly text: string;
  readonly input: Float32Array;
}

/** `count` Moby Dick lines rendered upright in DejaVu faces, preprocessed for the recognizer. */
export function recognizerLines(count: number, seed: number): TextLine[] {
  const rng = new Random(seed);
  return textLines(count, seed).map((text, i) => {
    const image = renderLine(text, {
      font: FONTS[i % FONTS.length]!,
      pointSize: rng.int(18, 40),
      rotated: false,
    });
    return { text, input: lineInput(image, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH) };
  });
}

/** Greedy CTC decoding of [T, classes] scores: best class per step, repeats merged, blanks dropped. */
export function ctcDecode(scores: ArrayLike<number>, classes: number, alphabet: readonly string[]): string {
  let text = '';
  let previous = -1;
  for (let t = 0; t * classes < scores.length; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[t * classes + c]! > scores[t * classes + best]!) best = c;
    if (best !== previous && best !== 0) text += alphabet[best] ?? '';
    previous = best;
  }
  return text;
}

/** Levenshtein distance between two strings, by code point. */
export function editDistance(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/**
 * Activation dtypes: i8 or i16 everywhere, or 'mixed': i8 in the CNN backbone and i16 from its
 * last pooling on (the SVTR neck: attention, layer norms, the CTC head over 40 steps). i16 is
 * the default: on 500 lines +1.28 pp CER vs float; i8 and mixed lose about 2 pp on 20 lines
 * (the loss is in the backbone, docs/decisions.md).
 */
export type RecognizerPrecision = 'i8' | 'i16' | 'mixed';

/** i16 for every value computed after the backbone's last AveragePool (the neck and head). */
export function neckDtypes(graph: FloatGraph): Map<string, 'i16'> {
  const last = graph.nodes.findLastIndex((n) => n.op === 'AveragePool');
  if (last < 0) throw new Error(`${graph.name}: no AveragePool ends a CNN backbone`);
  return new Map(graph.nodes.slice(last + 1).map((n) => [n.output, 'i16']));
}

/**
 * How the recognizer's group-1 Convs over budget are lowered (docs/decisions.md, "The
 * recognizer's pointwise Convs run channels-last"): its 1 × 1 Convs as Transpose → MatMul →
 * Transpose over channels-last input, every other one split over input channels into
 * ConvAccumulate links (4 chunks, 48 products, the last link 3 chunks). `{ ...RECOGNIZER_CONV_SPLIT,
 * pointwise: 'links' }` splits the 1 × 1 Convs too (session 31's split: a ~1.87 GB trace).
 */
export const RECOGNIZER_CONV_SPLIT: ConvSplit = {
  tileChunks: 4,
  tileProducts: 48,
  lastTileChunks: 3,
  pointwise: 'channels-last',
};

/**
 * The recognizer quantized to the integer op set, calibrated on rendered lines. Its 24 ordinary
 * (group-1) convolutions get i16 weights by default (`convWeightDtype`): with i8 weights they
 * cost +0.81 pp CER on 100 lines, their rounding alone (docs/decisions.md).
 */
export function importRecognizer(
  calibration: readonly TextLine[],
  precision: RecognizerPrecision = 'i16',
  mseExtraBits?: number,
  scales: {
    method?: 'max' | 'mse';
    headroomBits?: number;
    convWeightDtype?: 'i8' | 'i16';
    /**
     * How the group-1 Convs over budget are lowered (default `RECOGNIZER_CONV_SPLIT`: the 1 × 1
     * ones channels-last as MatMuls, the others in ConvAccumulate links; false keeps every Conv
     * whole, the same integers and the smallest trace; docs/decisions.md).
     */
    convSplit?: ConvSplit | false;
  } = {},
): ImportResult {
  const bytes = readFileSync(RECOGNIZER_FILE);
  const shape = { dims: RECOGNIZER_DIMS, label: RECOGNIZER_FILE };
  return importOnnx(bytes, {
    ...shape,
    calibration: calibration.map((line) => [line.input]),
    calibrationMethod: scales.method ?? 'mse',
    mseExtraBits,
    headroomBits: scales.headroomBits,
    convWeightDtype: scales.convWeightDtype ?? 'i16',
    activationDtype: precision === 'i16' ? 'i16' : 'i8',
    activationDtypes: precision === 'mixed' ? neckDtypes(importOnnxFloat(bytes, shape)) : undefined,
    convSplit: scales.convSplit === false ? undefined : (scales.convSplit ?? RECOGNIZER_CONV_SPLIT),
    name: 'ppocr-rec-v4',
  });
}

export interface RecognizerReport {
  readonly lines: number;
  readonly characters: number;
  /** Character error rates against the rendered text. */
  readonly floatCer: number;
  readonly integerCer: number;
  /** Lines whose integer and float transcriptions are equal. */
  readonly sameText: number;
}

/** Float (onnxruntime, as published) vs integer (traced backend) transcriptions, CER of each. */
export async function compareRecognizer(
  result: ImportResult,
  lines: readonly TextLine[],
  onProgress?: (soFar: RecognizerReport) => void,
): Promise<RecognizerReport> {
  const alphabet = recognizerAlphabet();
  const session = await ort.InferenceSession.create(RECOGNIZER_FILE);
  const backend = await createOnnxRuntimeBackend(result.model, { log: () => {} });
  const graph = result.model.graph;
  let [floatErrors, integerErrors, characters, sameText] = [0, 0, 0, 0];
  const report = (done: number): RecognizerReport => ({
    lines: done,
    characters,
    floatCer: floatErrors / characters,
    integerCer: integerErrors / characters,
    sameText,
  });
  try {
    for (const [i, line] of lines.entries()) {
      const feeds = {
        [session.inputNames[0]!]: new ort.Tensor('float32', line.input, [
          1,
          3,
          RECOGNIZER_HEIGHT,
          RECOGNIZER_WIDTH,
        ]),
      };
      const floatOut = (await session.run(feeds))[session.outputNames[0]!]!;
      const classes = floatOut.dims.at(-1)!;
      const floatText = ctcDecode(floatOut.data as Float32Array, classes, alphabet);
      const { outputs } = await backend.run([quantizeInput(graph, 0, line.input)]);
      const integerText = ctcDecode(dequantizeOutput(graph, 0, outputs[0]!), classes, alphabet);
      floatErrors += editDistance(floatText, line.text);
      integerErrors += editDistance(integerText, line.text);
      characters += [...line.text].length;
      if (floatText === integerText) sameText++;
      onProgress?.(report(i + 1));
    }
  } finally {
    await backend.close();
  }
  return report(lines.length);
}

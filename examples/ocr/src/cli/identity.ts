import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  execute,
  type ImportResult,
  modelId,
  quantizeInput,
  run,
  toHex,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { importClassifier, labeledLines } from '../classifier.js';
import {
  DETECTOR_FILE,
  DETECTOR_SIZE,
  detectorInput,
  importDetector,
  type PageSize,
  textPages,
} from '../detector.js';
import {
  CLASSIFIER_FILE,
  CLASSIFIER_HEIGHT,
  CLASSIFIER_WIDTH,
  RECOGNIZER_FILE,
  RECOGNIZER_HEIGHT,
  RECOGNIZER_WIDTH,
} from '../models.js';
import { importRecognizer, recognizerLines } from '../recognizer.js';

/**
 * `npm run identity -w @stoa/example-ocr [-- inputs] [--model recognizer|classifier|detector|all]
 * [--calibration n] [--detector-size HxW]`: for each model, on rendered inputs, every intermediate
 * of the traced onnxruntime backend against the reference interpreter (must be bit-identical),
 * the hot path's outputs (integer onnxruntime, no trace) against the reference's, then
 * traced/plain and hot/plain: the traced run (every intermediate and the trace commitments) and
 * the hot path, each against onnxruntime running the published float model, timed alternately
 * in this process.
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const calibrationCount = Number(option('--calibration') ?? 2);
const inputCount = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 3);
const which = option('--model') ?? 'recognizer';
const [detectorHeight, detectorWidth] = (
  option('--detector-size') ?? `${DETECTOR_SIZE.height}x${DETECTOR_SIZE.width}`
)
  .split('x')
  .map(Number);

/** One model to check: how to import it, its test inputs (float, NCHW) and its float file. */
interface IdentityCase {
  readonly name: string;
  readonly file: string;
  readonly shape: readonly number[];
  importModel(): ImportResult;
  inputs(): { readonly label: string; readonly input: Float32Array }[];
}

const detectorSize: PageSize = { height: detectorHeight!, width: detectorWidth! };
const cases: Record<string, IdentityCase> = {
  recognizer: {
    name: 'recognizer (i16 activations, i16 conv weights, 3 × 48 × 320)',
    file: RECOGNIZER_FILE,
    shape: [1, 3, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH],
    importModel: () => importRecognizer(recognizerLines(calibrationCount, 1)),
    inputs: () => recognizerLines(inputCount, 3).map((l) => ({ label: `"${l.text}"`, input: l.input })),
  },
  classifier: {
    name: 'classifier (i8 activations, 3 × 48 × 192)',
    file: CLASSIFIER_FILE,
    shape: [1, 3, CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH],
    importModel: () => importClassifier(labeledLines(calibrationCount, 1)),
    inputs: () =>
      labeledLines(inputCount, 3).map((l) => ({
        label: `"${l.text}" ${l.label ? '180°' : '0°'}`,
        input: l.input,
      })),
  },
  detector: {
    name: `detector (i16 activations, i16 conv weights, 3 × ${detectorHeight} × ${detectorWidth})`,
    file: DETECTOR_FILE,
    shape: [1, 3, detectorHeight!, detectorWidth!],
    importModel: () => importDetector(textPages(calibrationCount, 1, 4, detectorSize)),
    inputs: () =>
      textPages(inputCount, 3, 4, detectorSize).map((p) => ({
        label: `page of ${p.lines.length} lines`,
        input: detectorInput(p.image),
      })),
  },
};

const selected = which === 'all' ? Object.values(cases) : [cases[which]];
if (selected.some((c) => !c))
  throw new Error(`--model ${which}: expected recognizer, classifier, detector or all`);
for (const identityCase of selected) await check(identityCase!);

async function check(c: IdentityCase): Promise<void> {
  console.error(`importing the ${c.name}, calibrated on ${calibrationCount} inputs (minutes)…`);
  const { model } = c.importModel();
  console.log(`${c.name}: modelId ${toHex(modelId(model))}, ${model.schedule.length} steps`);
  const backend = await createOnnxRuntimeBackend(model, { log: () => {} });
  const hot = await createHotPathBackend(model, { log: () => {} });
  const session = await ort.InferenceSession.create(c.file);
  const fallbackOps = backend.fallbackSteps.map((i) => model.graph.edgeOps[model.schedule[i]!]!);
  console.log(
    `  fallback steps (reference kernel between onnxruntime segments): ${backend.fallbackSteps.length} of ${model.schedule.length}: ${JSON.stringify(countOf(fallbackOps))}`,
  );
  let [plainMs, tracedMs, hotMs, timedRuns] = [0, 0, 0, 0];
  try {
    for (const [k, { label, input }] of c.inputs().entries()) {
      const inputs = [quantizeInput(model.graph, 0, input)];
      const fast = await backend.run(inputs);
      const started = performance.now();
      const reference = run(model, inputs, { keepIntermediates: true });
      const referenceMs = performance.now() - started;
      const values = reference.values!;
      const differing = values.filter((expected, n) => !equal(expected!, fast.values[n]!)).length;
      const hotOutputs = await hot.run(inputs);
      const hotEqual = hotOutputs.every((t, n) => equal(t.data, reference.outputs[n]!.data));
      console.log(
        `  input ${k + 1} (${label}): ${values.length - differing}/${values.length} values bit-identical, hot-path outputs ${hotEqual ? 'identical' : 'DIFFERENT'} (reference ${Math.round(referenceMs)} ms)`,
      );
      if (differing > 0 || !hotEqual) process.exitCode = 1;
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [...c.shape]) };
      // Alternate the three so all see the same contention from other processes.
      for (let r = 0; r < 5; r++) {
        plainMs += await timed(() => session.run(feeds));
        tracedMs += await timed(() => execute(model, inputs, { trace: true, backend }));
        hotMs += await timed(() => hot.run(inputs));
        timedRuns++;
      }
    }
  } finally {
    await backend.close();
    await hot.close();
    await session.release();
  }
  const per = (ms: number) => (ms / timedRuns).toFixed(1);
  console.log(
    `  per input over ${timedRuns} alternated runs: traced ${per(tracedMs)} ms, hot path ${per(hotMs)} ms, plain (float onnxruntime) ${per(plainMs)} ms: traced/plain ${(tracedMs / plainMs).toFixed(2)}, hot/plain ${(hotMs / plainMs).toFixed(2)}`,
  );
}

function equal(a: ArrayLike<number>, b: ArrayLike<number> | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function countOf(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

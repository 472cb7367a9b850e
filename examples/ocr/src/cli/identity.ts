import { createOnnxRuntimeBackend, execute, modelId, quantizeInput, run, toHex } from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { RECOGNIZER_FILE, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH } from '../models.js';
import { importRecognizer, recognizerLines } from '../recognizer.js';

/**
 * `npm run identity -w @stoa/example-ocr [-- lines] [--calibration n]`: the PP-OCRv4 recognizer
 * (i16 activations, i16 weights in its group-1 convolutions) on rendered lines: every
 * intermediate of the traced onnxruntime backend against the reference interpreter (must be
 * bit-identical), then the traced/plain ratio: the traced run (every intermediate and the trace
 * commitments) against onnxruntime running the float model, timed alternately in this process.
 */
const args = process.argv.slice(2);
const calibrationFlag = args.indexOf('--calibration');
const calibrationLines = calibrationFlag >= 0 ? Number(args[calibrationFlag + 1]) : 2;
const lineCount = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--calibration') ?? 3);

console.error(`importing the recognizer, calibrated on ${calibrationLines} lines (about a minute per line)…`);
const result = importRecognizer(recognizerLines(calibrationLines, 1));
const { model } = result;
console.error(`modelId ${toHex(modelId(model))}`);
const backend = await createOnnxRuntimeBackend(model, { log: () => {} });
const session = await ort.InferenceSession.create(RECOGNIZER_FILE);
const fallbackOps = backend.fallbackSteps.map((i) => model.graph.edgeOps[model.schedule[i]!]!);
console.log(
  `fallback steps (reference kernel between onnxruntime segments): ${backend.fallbackSteps.length} of ${model.schedule.length}: ${JSON.stringify(countOf(fallbackOps))}`,
);

let [plainMs, tracedMs, timedRuns] = [0, 0, 0];
try {
  for (const [k, line] of recognizerLines(lineCount, 3).entries()) {
    const inputs = [quantizeInput(model.graph, 0, line.input)];
    const fast = await backend.run(inputs);
    const started = performance.now();
    const reference = run(model, inputs, { keepIntermediates: true }).values!;
    const referenceMs = performance.now() - started;
    const differing = reference.filter((expected, n) => !equal(expected!, fast.values[n]!)).length;
    console.log(
      `line ${k + 1} "${line.text}": ${reference.length - differing}/${reference.length} values bit-identical (reference ${Math.round(referenceMs)} ms)`,
    );
    if (differing > 0) process.exitCode = 1;
    const feeds = {
      [session.inputNames[0]!]: new ort.Tensor('float32', line.input, [
        1,
        3,
        RECOGNIZER_HEIGHT,
        RECOGNIZER_WIDTH,
      ]),
    };
    // Alternate the two so both see the same contention from other processes.
    for (let r = 0; r < 5; r++) {
      plainMs += await timed(() => session.run(feeds));
      tracedMs += await timed(() => execute(model, inputs, { trace: true, backend }));
      timedRuns++;
    }
  }
} finally {
  await backend.close();
  await session.release();
}
console.log(
  `traced ${(tracedMs / timedRuns).toFixed(1)} ms, plain (float onnxruntime) ${(plainMs / timedRuns).toFixed(1)} ms per line over ${timedRuns} alternated runs: traced/plain ${(tracedMs / plainMs).toFixed(2)}`,
);

function equal(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
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

import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { RECOGNIZER_FILE, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH, recognizerAlphabet } from '../models.js';
import { ctcDecode, editDistance, recognizerLines } from '../recognizer.js';
import { roundWeights, type WeightKind } from '../weight-precision.js';

/**
 * `npm run weights -w @stoa/example-ocr -- [lines] [--bits n] [--kinds depthwise,conv,matmul] [--only i]`:
 * the float recognizer with only its weights rounded as the importer rounds them (power-of-two
 * scale per output channel), against the float model, both on onnxruntime: the CER that weight
 * resolution alone costs, without any activation quantization.
 */
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const lines = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 100);
const bits = Number(flag('--bits') ?? 8);
const kinds = (flag('--kinds') ?? 'depthwise,conv,matmul').split(',') as WeightKind[];
const only = flag('--only') === undefined ? undefined : Number(flag('--only'));

const { bytes, rounded } = roundWeights(readFileSync(RECOGNIZER_FILE), bits, kinds, only);
console.error(`rounded to ${bits} bits: ${rounded.join('; ')}`);
const float = await ort.InferenceSession.create(RECOGNIZER_FILE);
const roundedSession = await ort.InferenceSession.create(bytes);
const alphabet = recognizerAlphabet();
const transcribe = async (session: ort.InferenceSession, input: Float32Array) => {
  const dims = [1, 3, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH];
  const out = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) }))[
    session.outputNames[0]!
  ]!;
  return ctcDecode(out.data as Float32Array, out.dims.at(-1)!, alphabet);
};
let [floatErrors, roundedErrors, characters, same] = [0, 0, 0, 0];
for (const line of recognizerLines(lines, 2)) {
  const [a, b] = [await transcribe(float, line.input), await transcribe(roundedSession, line.input)];
  floatErrors += editDistance(a, line.text);
  roundedErrors += editDistance(b, line.text);
  characters += [...line.text].length;
  if (a === b) same++;
}
const percent = (errors: number) => `${((100 * errors) / characters).toFixed(2)}%`;
console.log(
  `${lines} lines, ${bits}-bit weights (${kinds.join(', ')}${only === undefined ? '' : `, #${only} only`}): ` +
    `CER float ${percent(floatErrors)}, rounded ${percent(roundedErrors)}, ` +
    `difference ${((100 * (roundedErrors - floatErrors)) / characters).toFixed(2)} pp, identical ${same}/${lines}`,
);

export {
  GREEDY,
  generationReceiptFields,
  greedyToken,
  type SamplingParams,
  sampleToken,
  splitMix64,
  tokenLeaf,
} from '@stoa/ir';
export { CHAPTERS, chapterText, corpus, FIRST_HELD_OUT_CHAPTER, type Split } from './data/corpus.js';
export { type Tokenizer, tokenizerOf, trainTokenizer, UNKNOWN } from './data/tokenizer.js';
export { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export/onnx-export.js';
export {
  type GenerateOptions,
  type Generation,
  type GenerationStep,
  generate,
} from './generate.js';
export {
  importGpt,
  integerLogits,
  logitsFrac,
  tokensInput,
  trainingCalibration,
  window,
  windowOf,
  windows,
} from './integer-model.js';
export { GPT_MODEL_PATH, gptConfig, loadGptOnnx, loadTokenizer, TOKENIZER_PATH, TRAINING } from './models.js';
export { floatPerplexity, integerPerplexity, negativeLogLikelihood, type Perplexity } from './perplexity.js';
export {
  type GenerationReceipt,
  type GptGenerationRequest,
  type GptServiceOptions,
  gptTextGenerator,
  samplingOf,
} from './serve.js';
export { forward } from './train/gpt.js';
export { type GptConfig, type GptParams, initGpt, parameterCount } from './train/params.js';
export { meanLoss, trainGpt } from './train/trainer.js';

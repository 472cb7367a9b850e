export { dequantizeOutput, quantizeInput } from './boundary.js';
export { DIGEST_BYTES, equalBytes, fromHex, sha256, toHex } from './commit/hash.js';
export {
  leafHash,
  merkleLevels,
  merkleMultiproof,
  merkleProof,
  merkleRoot,
  merkleRootFromMultiproof,
  merkleRootFromProof,
  nodeHash,
  subtreeRoot,
  verifyMerkleProof,
} from './commit/merkle.js';
export { CHUNK_BYTES, chunksOf, digestBytes, tensorDigest } from './commit/tensor-digest.js';
export { DTYPES, type DType, dtypeInfo } from './dtype.js';
export {
  decodeModel,
  encodeModel,
  graphDigest,
  modelId,
  modelPreimage,
  weightsRoot,
} from './encoding/codec.js';
export { MODEL_ID_DOMAIN, type ModelPreimage, modelIdOf } from './encoding/model-id.js';
export {
  type AbiTensorType,
  abiTensorType,
  encodeLayout,
  encodeStep,
  flattenAttrs,
  LAYOUT_ABI,
  layoutHash,
  type ModelLayout,
  modelLayout,
  STEP_ABI,
  type StepDescriptor,
  stepDescriptor,
  stepProof,
  stepsRoot,
} from './encoding/steps.js';
export { IrError, type IrErrorCode, isIrError } from './errors.js';
export {
  divRound,
  EXP_FRAC,
  expNeg,
  floorDiv,
  quantizeValue,
  requantize,
  saturate,
  shiftRound,
} from './fixed-point.js';
export {
  type GenerationReceiptJson,
  generationInputDigest,
  generationOutputDigest,
  generationReceiptFields,
  type TokenStep,
  tokenLeaf,
  tokenRoot,
  type WireReceipt,
} from './generation/commitment.js';
export { GREEDY, greedyToken, type SamplingParams, sampleToken, splitMix64 } from './generation/sampling.js';
export {
  boundaryTensorDigest,
  contextOf,
  type GeneratedToken,
  generateTokens,
  logitsFrac,
  type StepRunner,
  type TokenGeneration,
  type TokenGenerationOptions,
  tokenStepOf,
  windowOf,
} from './generation/tokens.js';
export { type CharacterTokenizer, characterTokenizer, UNKNOWN_CHARACTER } from './generation/vocabulary.js';
export { GraphBuilder, type OpOptions } from './graph/builder.js';
export { composeParallel, composeSequential, extractSubgraph } from './graph/compose.js';
export { canonicalSchedule, checkSchedule } from './graph/schedule.js';
export { MAX_TILE_WORK, TILE_WORK, type Tile, tilesOf } from './graph/tiles.js';
export {
  type Attrs,
  type ChannelFracs,
  edgeInputsOf,
  edgeOutputsOf,
  formatType,
  type Hypergraph,
  type TensorType,
} from './graph/types.js';
export { validateGraph } from './graph/validate.js';
export {
  checkInputs,
  executeTile,
  type RunOptions,
  type RunResult,
  recomputeFrom,
  run,
} from './interpreter.js';
export { checkModel, createModel, type Model } from './model.js';
export { runFloatGraph } from './onnx/float-exec.js';
export type { FloatGraph, FloatNode, FloatTensor } from './onnx/float-graph.js';
export {
  type FloatImportOptions,
  type ImportOptions,
  type ImportResult,
  importOnnx,
  importOnnxFloat,
} from './onnx/import.js';
export {
  type FloatValue,
  type OnnxAttr,
  type OnnxModelSpec,
  type OnnxNodeSpec,
  writeOnnx,
} from './onnx/write.js';
export { inputChannelWeights } from './ops/conv-accumulate.js';
export type { OpDefinition } from './ops/op.js';
export { findOp, OPSET_VERSION, opNames } from './ops/registry.js';
export {
  type BackendRun,
  createHotPathBackend,
  createOnnxRuntimeBackend,
  exactProviders,
  type HotPathBackend,
  type OnnxRuntimeBackend,
  type OnnxRuntimeBackendOptions,
} from './ort/backend.js';
export { calibrate, calibrationFracs, fracFor } from './quantize/calibrate.js';
export { type ConvSplit, channelsPerLink, linkChannels, worstTileChunks } from './quantize/conv-split.js';
export type { LowerOptions } from './quantize/lower.js';
export { formatShape, type IntTensor, makeTensor, sizeOf, tensorBytes } from './tensor.js';
export { Random } from './testing/random.js';
export { randomActivationGraph } from './testing/random-activation-graph.js';
export { randomAttentionGraph } from './testing/random-attention-graph.js';
export { randomConvAccumulateGraph } from './testing/random-conv-accumulate-graph.js';
export { randomConvTapsGraph } from './testing/random-conv-taps-graph.js';
export { type RandomGraphCase, randomGraph } from './testing/random-graph.js';
export { randomMovementGraph } from './testing/random-movement-graph.js';
export { randomSoftmaxSegmentsGraph } from './testing/random-softmax-segments-graph.js';
export { randomTextGraph } from './testing/random-text-graph.js';
export { randomUpsampleGraph } from './testing/random-upsample-graph.js';
export { randomWideMacGraph } from './testing/random-wide-mac-graph.js';
export {
  type ExecuteOptions,
  type Execution,
  type ExecutionBackend,
  execute,
  referenceBackend,
} from './trace/execute.js';
export {
  formatGatewaySignature,
  GATEWAY_SIGNATURE_HEADER,
  GATEWAY_SIGNATURE_WINDOW_MS,
  type GatewayRequestFields,
  gatewayRequestMessage,
  parseGatewaySignature,
} from './trace/gateway-request.js';
export { IncrementalMerkleTree } from './trace/incremental-merkle.js';
export {
  type ChunkOpening,
  openChunk,
  openStep,
  openStepInput,
  type StateOpening,
  type StepOpening,
  verifyChunk,
  verifyStateOpening,
  verifyStepOpening,
} from './trace/proofs.js';
export {
  makeReceipt,
  RECEIPT_TYPEHASH,
  RECEIPT_TYPES,
  type Receipt,
  type ReceiptDomain,
  receiptDomainSeparator,
  type SignedReceipt,
  signReceipt,
  verifyReceipt,
} from './trace/receipt.js';
export {
  createReceiptDigester,
  createReceiptSigner,
  type DigestibleReceipt,
  type ReceiptSigner,
  type ReceiptSignerOptions,
} from './trace/receipt-signer.js';
export {
  type StoredTrace,
  TraceStore,
  TraceStoreFullError,
  type TraceStoreOptions,
} from './trace/store.js';
export {
  boundaryDigest,
  buildTrace,
  isLiveAfter,
  liveness,
  replayState,
  stepLeaf,
  type Trace,
} from './trace/trace.js';

export {
  ARTIFACTS_DIR,
  BUILD_COMMAND,
  CACHE_DIR,
  hasProvingKey,
  type Manifest,
  type ManifestCircuit,
  manifestCircuit,
  readManifest,
} from './artifacts.js';
export {
  type CircuitDefinition,
  CONSTRAINT_BUDGET,
  circuitForStep,
  distinctCircuits,
  estimateConstraints,
  modelCircuits,
  type StepCircuit,
} from './catalog.js';
export { deployZkVerifier, verifierArtifact, type ZkDeployment } from './deploy.js';
export {
  type BlockInputs,
  type BlockProof,
  checkWitness,
  encodeZkWitness,
  proveTile,
  type TileProof,
  tileBlocks,
  verifyTileProof,
  zkTileWitness,
} from './prove.js';
export {
  blockElements,
  blocksOf,
  channelShift,
  circuitKey,
  inputStream,
  maxShift,
  OP,
  pack31,
} from './streams.js';

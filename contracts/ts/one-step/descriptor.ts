/**
 * Step descriptors, the node layout and their commitments moved to @stoa/ir (encoding/steps.ts)
 * when modelId began hashing stepsRoot and layoutHash (issue 18, finding 3); re-exported here so
 * the one-step code and its users keep their imports.
 */
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
} from '@stoa/ir';

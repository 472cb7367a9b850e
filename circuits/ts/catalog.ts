import { type StepDescriptor, stepDescriptor } from '@stoa/contracts';
import type { Model } from '@stoa/ir';
import { blockElements, checkSupported, circuitKey, maxShift, OP } from './streams.js';

/**
 * Which circuit proves which step. A circuit is a template instance of circuits/circom/stoa.circom
 * compiled for one block shape; several steps (or models) with the same shape share it.
 */
export interface CircuitDefinition {
  /** PascalCase, unique: the file stem of its artifacts and `<name>Verifier` in Solidity. */
  readonly name: string;
  /** The template instance, e.g. `ConvTile(8, 14, 3, 3, 1, 2, 10)`. */
  readonly template: string;
  /** Output rows (Conv, MaxPool) or elements (MatMul, Relu, Reshape) per proof. */
  readonly blockParam: number;
  /** Constraints predicted by `estimateConstraints` (the build records the real count). */
  readonly estimate: number;
}

/** A step of a model and the circuit that proves its tiles. */
export interface StepCircuit {
  readonly step: number;
  readonly key: `0x${string}`;
  readonly circuit: CircuitDefinition;
  readonly blockElements: number;
}

/**
 * Largest circuit the block sizing aims for: 2^13 constraints keeps one proof at a few seconds
 * in snarkjs and one proving key near 4 MB. A MatMul output whose reduction alone is larger
 * (the CNN's K = 784) gets a block of one output, whatever its size.
 */
export const CONSTRAINT_BUDGET = 8000;

/** Constraints of the stoa.circom templates, counted from their code (checked by the build). */
export function estimateConstraints(step: StepDescriptor, blockParam: number): number {
  const s = maxShift(step);
  const requantize = 42 + s + 8; // scaled product, 32 + S bits, saturation (+ shift multiplier share)
  switch (step.op) {
    case OP.Relu:
      return 9 * blockParam;
    case OP.Reshape:
      return Math.ceil(blockParam / 31);
    case OP.MaxPool: {
      const w = step.inputTypes[0]!.shape[3]!;
      return blockParam * (2 * w * 8 + (w / 2) * 33);
    }
    case OP.Conv: {
      const [, c, , w] = step.inputTypes[0]!.shape as [number, number, number, number];
      const [, cg, kh, kw] = step.inputTypes[1]!.shape as [number, number, number, number];
      const wo = step.outputType.shape[3]!;
      return (
        8 * (c * (blockParam + kh - 1) * w + cg * kh * kw + 5) + blockParam * wo * (cg * kh * kw + requantize)
      );
    }
    case OP.MatMul: {
      const k = step.inputTypes[1]!.shape[1]!;
      return 8 * (k + blockParam * k + 5 * blockParam) + blockParam * (k + requantize);
    }
    default:
      throw new Error(`step ${step.index}: no circuit for op ${step.op}`);
  }
}

/** The block sizes a step allows: Conv blocks stay in one channel, MatMul blocks in one row. */
function candidateBlocks(step: StepDescriptor): number[] {
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  switch (step.op) {
    case OP.Conv: {
      const ho = step.outputType.shape[2]!;
      return upTo(ho).filter((r) => ho % r === 0);
    }
    case OP.MatMul: {
      const n = step.inputTypes[1]!.shape[0]!;
      return upTo(n).filter((b) => n % b === 0);
    }
    case OP.MaxPool: {
      const [, c, h] = step.inputTypes[0]!.shape as [number, number, number];
      return upTo((c * h) / 2);
    }
    case OP.Relu:
      // multiples of 31 keep input and output groups aligned
      return upTo(64).map((i) => 31 * i);
    case OP.Reshape:
      return [1024];
    default:
      throw new Error(`step ${step.index}: no circuit for op ${step.op}`);
  }
}

export function circuitForStep(step: StepDescriptor, budget = CONSTRAINT_BUDGET): CircuitDefinition {
  checkSupported(step);
  const candidates = candidateBlocks(step);
  const fitting = candidates.filter((p) => estimateConstraints(step, p) <= budget);
  const blockParam = fitting.length > 0 ? Math.max(...fitting) : Math.min(...candidates);
  const s = maxShift(step);
  let name: string;
  let template: string;
  switch (step.op) {
    case OP.Relu:
      name = `ReluB${blockParam}`;
      template = `ReluTile(${blockParam})`;
      break;
    case OP.Reshape:
      name = `CopyB${blockParam}`;
      template = `CopyTile(${blockParam})`;
      break;
    case OP.MaxPool: {
      const w = step.inputTypes[0]!.shape[3]!;
      name = `MaxPool2R${blockParam}W${w}`;
      template = `MaxPool2Tile(${blockParam}, ${w})`;
      break;
    }
    case OP.Conv: {
      const [, c, , w] = step.inputTypes[0]!.shape as [number, number, number, number];
      const [, , kh, kw] = step.inputTypes[1]!.shape as [number, number, number, number];
      const pad = Number(step.attrs[4]);
      name = `ConvC${c}W${w}K${kh}x${kw}P${pad}R${blockParam}S${s}`;
      template = `ConvTile(${c}, ${w}, ${kh}, ${kw}, ${pad}, ${blockParam}, ${s})`;
      break;
    }
    default: {
      const k = step.inputTypes[1]!.shape[1]!;
      name = `MatMulK${k}B${blockParam}S${s}`;
      template = `MatMulTile(${k}, ${blockParam}, ${s})`;
    }
  }
  return { name, template, blockParam, estimate: estimateConstraints(step, blockParam) };
}

/** Every step of `model` with the circuit that proves it. */
export function modelCircuits(model: Model): StepCircuit[] {
  return Array.from(model.schedule, (_, index) => {
    const step = stepDescriptor(model, index);
    const circuit = circuitForStep(step);
    return {
      step: index,
      key: circuitKey(step),
      circuit,
      blockElements: blockElements(step, circuit.blockParam),
    };
  });
}

/** The distinct circuits of one or more models, by name. */
export function distinctCircuits(models: readonly Model[]): CircuitDefinition[] {
  const byName = new Map<string, CircuitDefinition>();
  for (const model of models)
    for (const { circuit } of modelCircuits(model)) byName.set(circuit.name, circuit);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

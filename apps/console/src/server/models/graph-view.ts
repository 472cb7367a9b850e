import { edgeInputsOf, edgeOutputsOf, formatShape, type Model, type TensorType, tilesOf } from '@stoa/ir';

export interface TensorView {
  readonly id: number;
  readonly name: string;
  readonly dtype: string;
  readonly shape: string;
  /** Fixed-point scale: real value = q · 2^-frac (per channel for some weights). */
  readonly scale: string;
  readonly kind: 'input' | 'output' | 'weight' | 'activation';
}

export interface StepView {
  /** Position in the canonical schedule: step i of every trace. */
  readonly step: number;
  readonly edge: number;
  readonly op: string;
  readonly name: string;
  readonly inputs: number[];
  readonly outputs: number[];
  readonly tiles: number;
}

export interface GraphView {
  readonly tensors: TensorView[];
  readonly steps: StepView[];
}

function scaleOf(type: TensorType): string {
  if (typeof type.frac === 'number') return `2^-${type.frac}`;
  const fracs = type.frac.fracs;
  const lo = Math.min(...fracs);
  const hi = Math.max(...fracs);
  return `2^-[${lo}..${hi}] per axis ${type.frac.axis}`;
}

/** The model's hypergraph as the console draws it: steps in schedule order and their tensors. */
export function graphView(model: Model): GraphView {
  const { graph } = model;
  const inputs = new Set(graph.inputs);
  const outputs = new Set(graph.outputs);
  const tensors = graph.nodeTypes.map(
    (type, id): TensorView => ({
      id,
      name: graph.nodeNames[id] ?? `t${id}`,
      dtype: type.dtype,
      shape: formatShape(type.shape),
      scale: scaleOf(type),
      kind: inputs.has(id)
        ? 'input'
        : outputs.has(id)
          ? 'output'
          : graph.params.has(id)
            ? 'weight'
            : 'activation',
    }),
  );
  const steps = [...model.schedule].map(
    (edge, step): StepView => ({
      step,
      edge,
      op: graph.edgeOps[edge]!,
      name: graph.edgeNames[edge] ?? `e${edge}`,
      inputs: [...edgeInputsOf(graph, edge)],
      outputs: [...edgeOutputsOf(graph, edge)],
      tiles: tilesOf(graph, edge).length,
    }),
  );
  return { tensors, steps };
}

/** One step's canonical tiles (the units a dispute descends to), at most `limit` of them. */
export function stepTiles(model: Model, step: number, limit = 256) {
  const edge = model.schedule[step];
  if (edge === undefined) throw new RangeError(`step ${step} is outside 0..${model.schedule.length - 1}`);
  const tiles = tilesOf(model.graph, edge);
  return { step, op: model.graph.edgeOps[edge]!, total: tiles.length, tiles: tiles.slice(0, limit) };
}

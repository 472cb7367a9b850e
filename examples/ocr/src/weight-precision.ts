import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;

/** Which weights to round: depthwise convs (group > 1), the other convs, MatMul right operands. */
export type WeightKind = 'depthwise' | 'conv' | 'matmul';

function floats(t: Tensor): Float32Array {
  if (t.rawData && t.rawData.length > 0) return new Float32Array(Uint8Array.from(t.rawData).buffer);
  return Float32Array.from(t.floatData ?? []);
}

function kindOf(node: Node): WeightKind | undefined {
  if (node.opType === 'MatMul') return 'matmul';
  if (node.opType !== 'Conv') return undefined;
  const group = Number(node.attribute?.find((a) => a.name === 'group')?.i ?? 1);
  return group > 1 ? 'depthwise' : 'conv';
}

/** γ/√(σ² + ε) per channel of a BatchNormalization that alone consumes `output`, else undefined. */
function batchNormScale(nodes: readonly Node[], output: string, constants: Map<string, Tensor>) {
  const readers = nodes.filter((n) => n.input?.includes(output));
  const bn = readers.length === 1 && readers[0]!.opType === 'BatchNormalization' ? readers[0]! : undefined;
  if (!bn) return undefined;
  const eps = bn.attribute?.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
  const variance = floats(constants.get(bn.input![4]!)!);
  return floats(constants.get(bn.input![1]!)!).map((g, c) => g / Math.sqrt(variance[c]! + eps));
}

/**
 * The float ONNX model with the chosen weights rounded as the importer rounds them: `bits`-bit
 * integers at a power-of-two scale per output channel (after folding a following BatchNorm), then
 * back to float. Run by onnxruntime, it isolates weight resolution from activation quantization.
 * `only` restricts the rounding to the n-th weight of those kinds (in graph order).
 */
export function roundWeights(bytes: Uint8Array, bits: number, kinds: readonly WeightKind[], only?: number) {
  const model = onnx.ModelProto.decode(bytes);
  const nodes = model.graph?.node ?? [];
  const constants = new Map<string, Tensor>();
  for (const n of nodes)
    if (n.opType === 'Constant')
      constants.set(n.output![0]!, n.attribute!.find((a) => a.name === 'value')!.t!);
  for (const t of model.graph?.initializer ?? []) constants.set(t.name!, t);
  const rounded: string[] = [];
  let index = -1;
  const qmax = 2 ** (bits - 1) - 1;
  for (const node of nodes) {
    const kind = kindOf(node);
    const w = constants.get(node.input?.[1] ?? '');
    if (!kind || !kinds.includes(kind) || !w) continue;
    index++;
    if (only !== undefined && index !== only) continue;
    const data = floats(w);
    const dims = (w.dims ?? []).map(Number);
    const outAxis = kind === 'matmul' ? dims.length - 1 : 0;
    const channels = dims[outAxis]!;
    const at = (c: number, k: number) =>
      outAxis === 0 ? c * (data.length / channels) + k : k * channels + c;
    const scale = kind === 'matmul' ? undefined : batchNormScale(nodes, node.output![0]!, constants);
    for (let c = 0; c < channels; c++) {
      const s = scale?.[c] ?? 1;
      let max = 0;
      for (let k = 0; k < data.length / channels; k++) max = Math.max(max, Math.abs(data[at(c, k)]! * s));
      const frac = max > 0 ? Math.floor(Math.log2(qmax / max)) : 0;
      for (let k = 0; k < data.length / channels; k++) {
        const q = Math.max(-qmax - 1, Math.min(qmax, Math.floor(data[at(c, k)]! * s * 2 ** frac + 0.5)));
        data[at(c, k)] = q / 2 ** frac / s;
      }
    }
    w.rawData = new Uint8Array(data.buffer);
    w.floatData = [];
    rounded.push(`${node.input![1]} [${dims.join(', ')}]`);
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), rounded };
}

import { dequantizeOutput, type IntTensor, type Model, type SignedReceipt } from '@stoa/ir';
import type { Hex } from 'viem';

/** The body of an inference answer, as JSON text (the receipt's bigint nonce as a decimal string). */
export function inferenceJson(
  modelId: Hex,
  model: Model,
  outputs: readonly IntTensor[],
  receipt: SignedReceipt,
  inputsToken: string,
): string {
  let text = `{"modelId":${JSON.stringify(modelId)},"outputs":[`;
  outputs.forEach((t, i) => {
    text += `${i > 0 ? ',' : ''}{"shape":${JSON.stringify(t.shape)},${outputNumbers(model, i, t)}}`;
  });
  text += '],"receipt":{';
  let first = true;
  for (const [k, v] of Object.entries(receipt)) {
    text += `${first ? '' : ','}${JSON.stringify(k)}:${typeof v === 'bigint' ? `"${v}"` : JSON.stringify(v)}`;
    first = false;
  }
  return `${text}},"inputsToken":${JSON.stringify(inputsToken)}}`;
}

/**
 * `"data":[...],"raw":[...]` of an output: its dequantized values (dequantizeOutput's q · 2^-frac)
 * and its integers, written in one pass without the intermediate arrays. A finite number's text
 * is the same in a template as in JSON.stringify; an output's values are always finite (integers
 * times a power of two), and a non-finite one would be written as JSON writes it, `null`.
 */
function outputNumbers(model: Model, index: number, t: IntTensor): string {
  const frac = model.graph.nodeTypes[model.graph.outputs[index]!]?.frac;
  if (typeof frac !== 'number')
    // Per-channel or missing: dequantizeOutput names the problem.
    return `"data":${JSON.stringify(Array.from(dequantizeOutput(model.graph, index, t)))},"raw":${JSON.stringify(Array.from(t.data))}`;
  const scale = 2 ** -frac;
  let data = '';
  let raw = '';
  for (let k = 0; k < t.data.length; k++) {
    const q = t.data[k]!;
    const real = q * scale;
    data += `${k > 0 ? ',' : ''}${Number.isFinite(real) ? real : 'null'}`;
    raw += `${k > 0 ? ',' : ''}${q}`;
  }
  return `"data":[${data}],"raw":[${raw}]`;
}

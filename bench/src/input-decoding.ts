import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { decodeBinaryInputs, encodeBinaryInputs, parseInputs } from '@stoa/node';

/**
 * What the node does with an inference's inputs before running it, per form: a JSON body parsed
 * and quantized (`parseInputs`), against the binary form (`decodeBinaryInputs`), on the same 500
 * MNIST digits. Blocks of each alternate and the median block's CPU time counts (not wall
 * time), so that other work on a shared machine weighs on neither.
 */
export function inputDecoding(): void {
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  const digits = Array.from({ length: 500 }, (_, i) => Array.from(images.subarray(784 * i, 784 * (i + 1))));
  const json = digits.map((d) => Buffer.from(JSON.stringify({ inputs: [d] })));
  const binary = digits.map((d) => encodeBinaryInputs([d]));
  const forms = {
    json: (i: number) => parseInputs(model, JSON.parse(json[i]!.toString('utf8'))),
    binary: (i: number) => decodeBinaryInputs(model, binary[i]!),
  };
  const blocks: Record<keyof typeof forms, number[]> = { json: [], binary: [] };
  for (let round = 0; round < 60; round++)
    for (const name of ['json', 'binary'] as const) {
      const start = process.cpuUsage();
      for (let i = 0; i < digits.length; i++) forms[name](i);
      const { user, system } = process.cpuUsage(start);
      blocks[name].push((user + system) / 1000 / digits.length);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [j, b] = [median(blocks.json) * 1000, median(blocks.binary) * 1000];
  console.log('MNIST CNN inputs, CPU time, median of 60 alternating blocks of 500 digits:');
  console.log(
    `JSON body (${json[0]!.length} B for digit 0) parsed and quantized: ${j.toFixed(1)} µs per inference`,
  );
  console.log(
    `binary float32 body (${binary[0]!.length} B) decoded and quantized: ${b.toFixed(1)} µs per inference`,
  );
  console.log(`binary / JSON: ${(b / j).toFixed(2)}; saved ${(j - b).toFixed(1)} µs per inference`);
}

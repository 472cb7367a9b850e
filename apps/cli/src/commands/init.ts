import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, MNIST_MODELS } from '@stoa/example-mnist';
import { stoaCommand } from '../lib/command.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { DESCRIPTIONS } from './descriptions.js';

const PIXELS = 784;

const CONFIG = (name: string) => `import { defineModel } from '@stoa/sdk';

/** The MNIST CNN (examples/mnist), deployed with verifiable inference. */
export default defineModel({
  name: '${name}',
  model: {
    onnx: './model.onnx',
    calibration: './data/calibration.json',
    eval: './data/eval.json',
  },
  networks: ['self-hosted'],
  budget: { maxPerHour: 5 },
  verification: { stake: '1 eth', auditRate: 0.05, challengeWindow: '1h' },
  chain: 'dev',
});
`;

/**
 * Links this checkout's `stoa` and `@stoa/sdk` into the new project's node_modules (what
 * `npm link` does), so `npx stoa` and `import '@stoa/sdk'` work there without a registry.
 */
function linkStoa(dir: string): void {
  const sdk = dirname(dirname(fileURLToPath(import.meta.resolve('@stoa/sdk'))));
  const bin = fileURLToPath(new URL('../../bin/stoa.js', import.meta.url));
  mkdirSync(join(dir, 'node_modules', '@stoa'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  if (!existsSync(join(dir, 'node_modules', '@stoa', 'sdk')))
    symlinkSync(sdk, join(dir, 'node_modules', '@stoa', 'sdk'));
  if (!existsSync(join(dir, 'node_modules', '.bin', 'stoa')))
    symlinkSync(bin, join(dir, 'node_modules', '.bin', 'stoa'));
}

function digits(split: 'train' | 'test', count: number) {
  const data = loadMnist(split);
  const inputs = Array.from({ length: count }, (_, i) =>
    Array.from(data.images.subarray(i * PIXELS, (i + 1) * PIXELS), (v) => Math.round(v * 1000) / 1000),
  );
  return { inputs, labels: Array.from(data.labels.subarray(0, count)) };
}

export const init = stoaCommand({
  name: 'init',
  description: DESCRIPTIONS.init,
  args: {
    dir: { type: 'positional', description: 'directory to create', required: false, default: '.' },
    template: { type: 'enum', options: ['mnist-cnn'], default: 'mnist-cnn', description: 'project template' },
    name: { type: 'string', description: 'model name (default: the directory name)' },
  },
  async run(args, out) {
    const dir = resolve(args.cwd ?? process.cwd(), args.dir);
    if (existsSync(dir) && readdirSync(dir).some((f) => f === 'stoa.config.ts')) {
      throw new CliError(`${dir} already has a stoa.config.ts`, EXIT.usage);
    }
    const name =
      (args.name ?? dir.split('/').pop() ?? 'model')
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^[^a-z]+/, '') || 'model';
    mkdirSync(join(dir, 'data'), { recursive: true });
    out.progress('start', 'writing the MNIST CNN template');
    copyFileSync(MNIST_MODELS.cnn, join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'data', 'calibration.json'), JSON.stringify(digits('train', 100).inputs));
    writeFileSync(join(dir, 'data', 'eval.json'), JSON.stringify(digits('test', 200)));
    const sample = digits('test', 1);
    writeFileSync(
      join(dir, 'data', 'digit.json'),
      JSON.stringify({ inputs: [sample.inputs[0]], label: sample.labels[0] }),
    );
    writeFileSync(join(dir, 'stoa.config.ts'), CONFIG(name));
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`,
    );
    writeFileSync(join(dir, '.gitignore'), '.stoa/\nnode_modules/\n');
    linkStoa(dir);
    const files = [
      'stoa.config.ts',
      'model.onnx',
      'data/calibration.json',
      'data/eval.json',
      'data/digit.json',
      'package.json',
      '.gitignore',
    ];
    out.result({ dir, name, template: args.template, files }, () => [
      `created ${name} in ${dir}:`,
      ...files.map((f) => `  ${f}`),
      '',
      'next:',
      `  cd ${dir}`,
      '  npx stoa build       # quantize and check accuracy',
      '  npx stoa deploy      # plan, then deploy to the networks in stoa.config.ts',
      '  npx stoa infer --file data/digit.json --verify',
    ]);
  },
});

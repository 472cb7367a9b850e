#!/usr/bin/env node
/**
 * The image tool.
 *   npm run image:build [-- --out .stoa/image] [--cache .stoa/image-cache] [--variant cpu|gpu|all] [--cuda-provider DIR]
 *   npm run image:run   [-- --layout .stoa/image] [--tag stoa-node:cpu] [-e KEY=VALUE …] [-v /container/path=/host/dir …]
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildImage } from './build.js';
import type { Variant } from './recipe.js';
import { containerCommand, unpackImage } from './run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const pairs = (values: string[] | undefined, flag: string) =>
  Object.fromEntries(
    (values ?? []).map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) throw new Error(`${flag} ${kv}: expected NAME=VALUE`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );

async function build(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string', default: join(REPO, '.stoa/image') },
      cache: { type: 'string', default: join(REPO, '.stoa/image-cache') },
      variant: { type: 'string', default: 'cpu' },
      'cuda-provider': { type: 'string' },
    },
  });
  const variants: Variant[] =
    values.variant === 'all'
      ? ['cpu', 'gpu']
      : values.variant === 'cpu' || values.variant === 'gpu'
        ? [values.variant]
        : [];
  if (variants.length === 0) throw new Error(`--variant ${values.variant}: expected cpu, gpu or all`);
  const result = await buildImage({
    repo: REPO,
    out: resolve(values.out),
    cache: resolve(values.cache),
    variants,
    cudaProvider: values['cuda-provider'] && resolve(values['cuda-provider']),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  for (const image of result.images) process.stdout.write(`${image.tag} ${image.digest}\n`);
  process.stderr.write(`built in ${result.seconds.toFixed(1)} s into ${resolve(values.out)}\n`);
}

async function run(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      layout: { type: 'string', default: join(REPO, '.stoa/image') },
      tag: { type: 'string', default: 'stoa-node:cpu' },
      env: { type: 'string', short: 'e', multiple: true },
      volume: { type: 'string', short: 'v', multiple: true },
    },
  });
  const rootfs = await mkdtemp(join(tmpdir(), 'stoa-image-'));
  const image = await unpackImage(resolve(values.layout), values.tag, rootfs);
  const { command, args: argv } = containerCommand(
    image,
    pairs(values.env, '-e'),
    pairs(values.volume, '-v'),
  );
  process.stderr.write(`running ${values.tag} (${image.digest}) from ${rootfs}\n`);
  const child = spawn(command, argv, { stdio: 'inherit' });
  child.once('exit', (code) => process.exit(code ?? 1));
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = { build, run };
if (!command || !commands[command]) {
  process.stderr.write(
    'usage: main.ts build|run [options]  (see the comment at the top of images/node/src/main.ts)\n',
  );
  process.exit(2);
}
commands[command]!(rest).catch((error: Error) => {
  process.stderr.write(`image ${command}: ${error.message}\n`);
  process.exit(1);
});

import { readFile } from 'node:fs/promises';
import * as vitest from 'vitest';
import { expect, it } from 'vitest';
import { conformanceSuite } from '../index.js';
import { inProcessAdapter } from './in-process-adapter.js';

const adapter = inProcessAdapter();

conformanceSuite(vitest, 'docs example: in-process', async () => ({
  adapter,
  spec: {
    name: 'doc',
    modelId: 'mnist-mlp',
    artifactUrl: 'https://artifacts.example/mnist',
    rpcUrl: 'https://rpc.example',
    operatorKeyRef: 'env:STOA_OPERATOR_KEY',
    replicas: 2,
  },
  activeResources: async () => adapter.running.size,
}));

it('docs/adapters.md shows this example verbatim', async () => {
  const doc = await readFile(new URL('../../../../docs/adapters.md', import.meta.url), 'utf8');
  const src = await readFile(new URL('./in-process-adapter.ts', import.meta.url), 'utf8');
  const body = src.replace("from '../index.js'", "from '@stoa/adapters'");
  expect(doc).toContain(body.trim());
});

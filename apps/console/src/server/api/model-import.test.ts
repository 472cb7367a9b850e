import { readFileSync } from 'node:fs';
import { MNIST_MODELS } from '@stoa/example-mnist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestProject } from '../../testing/project.js';
import { type ConsoleServices, openServices } from '../services.js';
import { appRouter } from './root.js';
import { createCallerFactory } from './trpc.js';

const project = makeTestProject('console-import');
let services: ConsoleServices;
const callerOf = createCallerFactory(appRouter);
let caller: ReturnType<typeof callerOf>;

beforeAll(async () => {
  services = await openServices(project.dir);
  caller = callerOf({
    viewer: { id: 'local', email: 'local', via: 'loopback' },
    services,
  });
});

afterAll(async () => {
  await services?.db.$disconnect();
  project.remove();
});

async function finished(jobId: string) {
  for (;;) {
    const job = await caller.model.importStatus({ jobId });
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const mlp = readFileSync(MNIST_MODELS.mlp).toString('base64');
const pixels = (v: number) => Array.from({ length: 784 }, () => v);

describe('model upload through tRPC', () => {
  it('imports an uploaded ONNX file, records modelId and weightsRoot, serves its graph and tiles', async () => {
    const calibration = [pixels(0), pixels(0.5), pixels(1)];
    const { jobId } = await caller.model.upload({
      name: 'mlp',
      fileName: 'mlp.onnx',
      onnxBase64: mlp,
      calibration,
    });
    const job = await finished(jobId);
    expect(job.error).toBeUndefined();
    expect(job.result!.modelId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(job.result!.agreement).toBeGreaterThanOrEqual(0);
    expect(job.result!.floatAccuracy).toBeUndefined(); // no labelled eval set given
    const [row] = await caller.model.list();
    expect(row).toMatchObject({
      name: 'mlp',
      modelId: job.result!.modelId,
      weightsRoot: job.result!.weightsRoot,
    });
    const graph = await caller.model.graph({ modelId: row!.modelId });
    expect(graph.steps.map((s) => s.op)).toContain('MatMul');
    expect(graph.tensors[graph.steps[0]!.outputs[0]!]!.shape).toBe('[1,128]');
    const tiles = await caller.model.tiles({ modelId: row!.modelId, step: 0 });
    expect(tiles.total).toBe(graph.steps[0]!.tiles);
    expect(tiles.tiles.at(-1)!.end).toBe(128);
    await expect(caller.model.tiles({ modelId: row!.modelId, step: 999 })).rejects.toThrow(/step 999/);
  });

  it('fails a bad file with an error naming it, and a mismatched eval set naming the field', async () => {
    const garbage = await finished(
      (
        await caller.model.upload({
          name: 'bad',
          fileName: 'broken.onnx',
          onnxBase64: Buffer.from('not a model').toString('base64'),
          calibration: [[0]],
        })
      ).jobId,
    );
    expect(garbage.state).toBe('failed');
    expect(garbage.error).toContain('broken.onnx');
    const mismatched = await finished(
      (
        await caller.model.upload({
          name: 'mlp',
          fileName: 'mlp.onnx',
          onnxBase64: mlp,
          calibration: [pixels(0)],
          evalSet: { inputs: [pixels(0)], labels: [1, 2] },
        })
      ).jobId,
    );
    expect(mismatched.error).toMatch(/^eval\.labels: 2 labels for 1 inputs/);
    await expect(
      caller.model.upload({ name: 'Bad Name', fileName: 'x.onnx', onnxBase64: mlp, calibration: [[0]] }),
    ).rejects.toThrow(/lower-case/);
  });
});

import { SHARE_ENV, Worker } from 'node:worker_threads';
import {
  exactProviders,
  type HotPathBackend,
  type IntTensor,
  type Model,
  type OnnxRuntimeBackendOptions,
} from '@stoa/ir';
import type { FromWorker, ToWorker } from './hot-path-worker.js';

/**
 * The hot path's options as they cross to the worker: all but `log`, a function (the worker's
 * backend logs as the default does, to stderr under STOA_DEBUG=backend).
 */
export type HotPathThreadOptions = Omit<OnnxRuntimeBackendOptions, 'log'>;

const WORKER_ENTRY = new URL('./hot-path-worker.ts', import.meta.url).href;

/**
 * Plain CommonJS, so that it starts the same under node, tsx, vitest and the bundle `stoa dev`
 * runs: when the worker module is TypeScript source it registers tsx's loader on the thread (a
 * thread does not take its parent's), then imports the module, which listens for the model.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;

interface Waiting {
  readonly resolve: (outputs: IntTensor[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The hot path (onnxruntime returning only the outputs) on a worker thread of its own.
 * onnxruntime-node runs a session synchronously on the thread that calls it, so on the event
 * loop every inference stalls the node's HTTP parsing, answers, journal callbacks and chain
 * ticks for as long as it computes (the detector's ~0.1 s, say); here the loop only posts the
 * inputs and receives the outputs. Runs are computed in the order they are sent. A worker that
 * dies fails the runs it held, and the next run starts a new one.
 */
export async function createHotPathThread(
  model: Model,
  options: HotPathThreadOptions = {},
): Promise<HotPathBackend> {
  // TF32's switch is read from the process environment when CUDA loads: set it on this thread.
  if (options.executionProviders) exactProviders(options.executionProviders);
  return HotPathThread.start(model, options);
}

class HotPathThread implements HotPathBackend {
  private worker: Worker | undefined;
  /** A replacement worker being started, which every run meanwhile waits for. */
  private opening: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Waiting>();
  private nextId = 0;
  /** Runs asked for in this turn, sent together once it ends. */
  private queued: { id: number; inputs: IntTensor[] }[] = [];
  private closed = false;
  fallbackSteps: readonly number[] = [];

  private constructor(
    private readonly model: Model,
    private readonly options: HotPathThreadOptions,
  ) {}

  static async start(model: Model, options: HotPathThreadOptions): Promise<HotPathThread> {
    const thread = new HotPathThread(model, options);
    thread.worker = await thread.open();
    return thread;
  }

  run(inputs: IntTensor[]): Promise<IntTensor[]> {
    if (this.closed) return Promise.reject(new Error('the hot path is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker?.ref();
      this.queued.push({ id, inputs });
      if (this.queued.length === 1) queueMicrotask(() => this.flush());
    });
  }

  /** Sends this turn's runs in one message (the node's micro-batch submits its runs together). */
  private flush(): void {
    const runs = this.queued;
    this.queued = [];
    const send = (worker: Worker) => {
      const live = runs.filter((r) => this.pending.has(r.id));
      if (live.length > 0) worker.postMessage({ kind: 'run', runs: live } satisfies ToWorker);
    };
    if (this.worker) {
      send(this.worker);
      return;
    }
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    this.opening.then(
      (worker) => {
        this.worker = worker;
        send(worker);
      },
      (error: Error) => {
        for (const r of runs) this.settle(r.id)?.reject(error);
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' } satisfies ToWorker);
    await exited;
  }

  private settle(id: number): Waiting | undefined {
    const waiting = this.pending.get(id);
    this.pending.delete(id);
    // An idle worker never keeps the process alive; one with runs in flight does.
    if (this.pending.size === 0) this.worker?.unref();
    return waiting;
  }

  /** Starts a worker and opens the model's sessions in it; resolves once they are open. */
  private open(): Promise<Worker> {
    const entry = WORKER_ENTRY;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: SHARE_ENV,
      workerData: { entry, tsx: entry.endsWith('.ts') ? tsxLoader() : undefined },
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'opened') {
          ready = true;
          this.fallbackSteps = message.fallbackSteps;
          if (this.pending.size === 0) worker.unref();
          resolve(worker);
        } else if (message.kind === 'failed')
          reject(new Error(`the hot path did not open: ${message.message}`));
        else
          for (const ran of message.results) {
            const waiting = this.settle(ran.id);
            if (ran.outputs) waiting?.resolve(ran.outputs);
            else waiting?.reject(new Error(`the hot path failed: ${ran.error}`));
          }
      });
      const failAll = (error: Error) => {
        if (!ready) reject(error);
        if (this.worker === worker) this.worker = undefined;
        for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => {
        if (!this.closed) failAll(new Error(`the hot path's worker thread exited (code ${code})`));
      });
      worker.postMessage({ kind: 'open', model: this.model, options: this.options } satisfies ToWorker);
    });
  }
}

/** tsx's loader, for a thread that must import the worker's TypeScript source. */
function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
}

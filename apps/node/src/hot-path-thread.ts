import { SHARE_ENV, Worker } from 'node:worker_threads';
import { exactProviders, type HotPathBackend, type IntTensor, type Model } from '@stoa/ir';
import type { FromWorker, ToWorker } from './hot-path-worker.js';

/** The hot path's options as they cross to the worker (no functions). */
export interface HotPathThreadOptions {
  readonly intraOpThreads?: number;
  readonly spinning?: boolean;
  readonly executionProviders?: readonly string[];
  /** Whether the backend's debug log comes back to the owner's `log`. */
  readonly forwardLog?: boolean;
}

const WORKER_ENTRY = new URL('./hot-path-worker.ts', import.meta.url).href;

/**
 * Plain CommonJS, so that it starts the same under node, tsx, vitest and the bundle `stoa dev`
 * runs: it registers tsx's loader when the thread cannot load TypeScript yet, then imports the
 * worker module, which listens for the model.
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
  options: HotPathThreadOptions & { readonly log?: (message: string) => void } = {},
): Promise<HotPathBackend> {
  const { log, ...crossing } = options;
  // TF32's switch is read from the process environment when CUDA loads: set it on this thread.
  if (crossing.executionProviders) exactProviders(crossing.executionProviders);
  const opened = await HotPathThread.start(model, { ...crossing, forwardLog: log !== undefined }, log);
  return opened;
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
    private readonly log: ((message: string) => void) | undefined,
  ) {}

  static async start(
    model: Model,
    options: HotPathThreadOptions,
    log: ((message: string) => void) | undefined,
  ): Promise<HotPathThread> {
    const thread = new HotPathThread(model, options, log);
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
        else if (message.kind === 'log') this.log?.(message.message);
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

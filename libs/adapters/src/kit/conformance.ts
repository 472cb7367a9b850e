import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkAdapter } from '../core/define-adapter.js';
import { type AdapterError, type ErrorKind, isAdapterError } from '../core/errors.js';
import { JsonFileRecordStore } from '../core/record-store.js';
import type { LogLine, NodeSpecInput } from '../core/types.js';

/**
 * The subset of vitest the kit uses. Pass `import * as vitest from 'vitest'`: the kit takes the
 * test API as an argument so that importing `@stoa/adapters` never pulls in a test runner.
 */
export interface KitTestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void> | void, timeout?: number) => void;
  beforeAll: (fn: () => Promise<void> | void, timeout?: number) => void;
  afterAll: (fn: () => Promise<void> | void, timeout?: number) => void;
}

export interface FailureCase {
  /** e.g. 'bad credentials' */
  name: string;
  kind: ErrorKind;
  code?: string;
  /** The adapter configured so that this failure happens (e.g. a wrong API key). */
  adapter: NetworkAdapter;
  spec?: NodeSpecInput;
}

export interface ConformanceTarget {
  adapter: NetworkAdapter;
  /** A valid spec the target can provision. Its `name` is varied per test. */
  spec: NodeSpecInput;
  /**
   * Workloads running or billing in the target right now (emulator containers, leases, jobs,
   * live processes) that this suite could have created. Must reach 0 after teardown.
   */
  activeResources(): Promise<number>;
  /** Resources one healthy deployment of `spec` holds (default: its replica count). */
  resourcesPerDeployment?: number;
  failures?: FailureCase[];
  close?(): Promise<void>;
}

export class SimulatedCrash extends Error {
  constructor(readonly step: string) {
    super(`simulated crash after step '${step}'`);
    this.name = 'SimulatedCrash';
  }
}

async function firstLogLines(
  adapter: NetworkAdapter,
  dep: Parameters<NetworkAdapter['logs']>[0],
  timeoutMs: number,
) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('timeout')), timeoutMs);
  const lines: LogLine[] = [];
  try {
    for await (const l of adapter.logs(dep, { follow: true, signal: ac.signal })) {
      lines.push(l);
      if (lines.length >= 2) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return lines;
}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`conformance: ${message}`);
}

async function expectAdapterError(
  p: Promise<unknown>,
  kind: ErrorKind,
  code?: string,
): Promise<AdapterError> {
  try {
    await p;
  } catch (e) {
    check(isAdapterError(e), `expected a classified AdapterError, got ${String(e)}`);
    check(e.kind === kind, `expected kind '${kind}', got '${e.kind}' (${e.describe()})`);
    if (code) check(e.code === code, `expected code '${code}', got '${e.code}' (${e.describe()})`);
    check(e.message.length > 0, 'error message must not be empty');
    return e;
  }
  throw new Error(`conformance: expected a ${kind} error, but the call succeeded`);
}

/**
 * Register the conformance suite for one adapter. Every adapter (built-in or third-party)
 * runs this against itself or its emulator:
 *
 * ```ts
 * import * as vitest from 'vitest';
 * conformanceSuite(vitest, 'my-net', async () => ({ adapter, spec, activeResources }));
 * ```
 */
export function conformanceSuite(
  t: KitTestApi,
  label: string,
  setup: () => Promise<ConformanceTarget>,
): void {
  t.describe(`adapter conformance: ${label}`, () => {
    let target: ConformanceTarget;
    let dir: string;
    let store: JsonFileRecordStore;
    const base = () => target.spec;
    const named = (suffix: string): NodeSpecInput => ({
      ...base(),
      name: `${base().name}-${suffix}`.slice(0, 40),
    });
    const perDeployment = () => target.resourcesPerDeployment ?? base().replicas ?? 1;

    t.beforeAll(async () => {
      target = await setup();
      dir = await mkdtemp(join(tmpdir(), 'stoa-kit-'));
      store = new JsonFileRecordStore(dir);
    });
    t.afterAll(async () => {
      for (const r of (await store?.list()) ?? []) {
        if (r.state !== 'torn-down') await target.adapter.teardown(r, { store }).catch(() => {});
      }
      await target?.close?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    t.it('validate accepts the spec and names the fields of a bad one', () => {
      const { adapter } = target;
      check(
        adapter.validate(base()).length === 0,
        `valid spec rejected: ${JSON.stringify(adapter.validate(base()))}`,
      );
      const problems = adapter.validate({ ...base(), name: 'Not A Name', replicas: 0, artifactUrl: 'nope' });
      const paths = problems.map((p) => p.path);
      for (const f of ['name', 'replicas', 'artifactUrl'])
        check(paths.includes(f), `no problem names '${f}'`);
      if (!adapter.capabilities.gpu.includes('*')) {
        check(
          adapter
            .validate({ ...base(), gpu: { kind: 'no-such-gpu', count: 1 } })
            .some((p) => p.path === 'gpu.kind'),
          'an unsupported GPU kind must be reported on gpu.kind',
        );
      }
    });

    t.it('quotes a price', async () => {
      const quotes = await target.adapter.quote(base());
      check(quotes.length > 0, 'no quotes');
      for (const q of quotes) {
        check(q.adapter === target.adapter.name, 'quote.adapter must be the adapter name');
        check(
          Number.isFinite(q.pricePerHourUsd) && q.pricePerHourUsd >= 0,
          'price must be a finite number >= 0',
        );
      }
    });

    t.it('provisions idempotently, reports status, streams logs and tears down leaving nothing', async () => {
      const { adapter } = target;
      const before = await target.activeResources();
      const spec = named('idem');
      const dep = await adapter.provision(spec, { store });
      check(dep.state === 'running', `state is ${dep.state}`);
      check(dep.steps.length === adapter.steps.length, 'every step is recorded');
      const st = await adapter.status(dep);
      check(st.state === 'running', `status is ${st.state}`);
      check(st.endpoints.length > 0, 'a running deployment has endpoints');
      const count = await target.activeResources();
      check(
        count - before === perDeployment(),
        `expected ${perDeployment()} resources, found ${count - before}`,
      );
      const again = await adapter.provision(spec, { store });
      check(
        again.id === dep.id && JSON.stringify(again.data) === JSON.stringify(dep.data),
        'second provision differs',
      );
      check((await target.activeResources()) === count, 'second provision created resources');

      const lines = await firstLogLines(adapter, dep, 10_000);
      check(lines.length > 0, 'logs streamed no line within 10 s');
      check(
        lines.every((l) => typeof l.line === 'string'),
        'log lines carry text',
      );

      await adapter.teardown(dep, { store });
      check((await target.activeResources()) === before, 'teardown left resources running');
      check((await adapter.status(dep)).state === 'stopped', 'status after teardown must be stopped');
      await adapter.teardown(dep, { store }); // idempotent
      check((await store.get(dep.id))?.state === 'torn-down', 'record is marked torn-down');
    });

    t.it('resumes after a crash between any two steps without duplicating work', async () => {
      const { adapter } = target;
      const before = await target.activeResources();
      for (const [n, stepName] of adapter.steps.entries()) {
        const spec = named(`crash${n}`);
        let crashed: unknown;
        try {
          await adapter.provision(spec, {
            store,
            afterStep: (step) => {
              if (step === stepName) throw new SimulatedCrash(step);
            },
          });
        } catch (e) {
          crashed = e;
        }
        check(
          crashed instanceof SimulatedCrash,
          `expected the simulated crash after '${stepName}', got ${String(crashed)}`,
        );
        const rec = await store.get(spec.name);
        check(rec?.state === 'provisioning', 'record must survive the crash');
        check(rec.steps.length === n + 1, `record should hold ${n + 1} steps, holds ${rec.steps.length}`);
        const dep = await adapter.provision(spec, { store });
        check(dep.state === 'running', `resume after '${stepName}' ended ${dep.state}`);
        const count = await target.activeResources();
        check(
          count - before === perDeployment(),
          `after resume at '${stepName}': ${count - before} resources`,
        );
        await adapter.teardown(dep, { store });
        check(
          (await target.activeResources()) === before,
          `teardown after resume at '${stepName}' left resources`,
        );
      }
    });

    t.it('classifies errors and leaves nothing behind', async () => {
      const { adapter } = target;
      const before = await target.activeResources();
      const e = await expectAdapterError(
        adapter.provision({ ...base(), replicas: 0 }, { store }),
        'user',
        'invalid-spec',
      );
      check(e.fields.includes('replicas'), 'invalid-spec error names the field');
      for (const [i, f] of (target.failures ?? []).entries()) {
        const spec = { ...(f.spec ?? base()), name: `${base().name}-fail${i}` };
        await expectAdapterError(f.adapter.provision(spec, { store }), f.kind, f.code);
        const rec = await store.get(spec.name);
        check(!rec || rec.state === 'failed', `'${f.name}': record state is ${rec?.state}`);
        check((await target.activeResources()) === before, `'${f.name}' left resources running`);
      }
    });
  });
}

import type { z } from 'zod';
import { isAdapterError, UserError } from './errors.js';
import type { RecordStore } from './record-store.js';
import {
  type Capabilities,
  type Deployment,
  type DeploymentRecord,
  type DeploymentStatus,
  type LogLine,
  type LogOptions,
  type NodeSpec,
  type NodeSpecInput,
  nodeSpecSchema,
  type Problem,
  type Quote,
} from './types.js';

export interface ProvisionContext {
  store: RecordStore;
  /** Deployment id (default: the spec's name). The same id means the same deployment. */
  id?: string;
  signal?: AbortSignal;
  onProgress?: (ev: { id: string; step: string; phase: 'start' | 'done' | 'skipped' }) => void;
  /**
   * Called after each step's result is persisted. A throw here simulates a crash between
   * steps; the conformance kit uses it to prove that provisioning resumes.
   */
  afterStep?: (step: string, index: number) => void | Promise<void>;
}

export interface TeardownContext {
  store?: RecordStore;
}

export interface NetworkAdapter {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Names of the provisioning steps, in order. */
  readonly steps: readonly string[];
  /** Check a spec before anything is spent. Empty means valid. */
  validate(spec: unknown): Problem[];
  quote(spec: NodeSpecInput): Promise<Quote[]>;
  /** Idempotent and resumable: calling it again with the same id continues or returns the deployment. */
  provision(spec: NodeSpecInput, ctx: ProvisionContext): Promise<Deployment>;
  status(dep: Deployment): Promise<DeploymentStatus>;
  logs(dep: Deployment, opts?: LogOptions): AsyncIterable<LogLine>;
  /** Idempotent; works on partial (failed or crashed) deployments too. */
  teardown(dep: Deployment, ctx?: TeardownContext): Promise<void>;
}

export interface StepContext {
  spec: NodeSpec;
  record: DeploymentRecord;
  /** Merged outputs of the steps done so far, plus anything saved with `save`. */
  data: Record<string, unknown>;
  signal: AbortSignal | undefined;
  /** Persist partial progress inside a step at once (e.g. a remote id right after creating it). */
  save(partial: Record<string, unknown>): Promise<void>;
}

export interface ProvisionStep {
  name: string;
  /** Must be safe to run again after a crash mid-step: look for what a previous run created. */
  run(ctx: StepContext): Promise<Record<string, unknown> | undefined>;
}

export interface AdapterDefinition {
  name: string;
  capabilities: Capabilities;
  /** Extra, network-specific checks on an already schema-valid spec. */
  validate?: (spec: NodeSpec) => Problem[];
  quote(spec: NodeSpec): Promise<Quote[]>;
  steps: ProvisionStep[];
  status(record: DeploymentRecord): Promise<DeploymentStatus>;
  logs(record: DeploymentRecord, opts: LogOptions): AsyncIterable<LogLine>;
  /** Release everything the record says was created. Must tolerate missing pieces. */
  teardown(record: DeploymentRecord): Promise<void>;
}

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export function problemsMessage(problems: Problem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}

/**
 * Build a `NetworkAdapter` from a definition. The helper supplies what every adapter needs and
 * is easy to get wrong: spec validation (schema + declared capabilities), the persisted step
 * runner (idempotent, resumable), rollback on classified failures, and record bookkeeping.
 */
export function defineAdapter(def: AdapterDefinition): NetworkAdapter {
  const names = def.steps.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new Error(`adapter ${def.name}: step names must be unique`);

  function validate(input: unknown): Problem[] {
    const parsed = nodeSpecSchema.safeParse(input);
    if (!parsed.success) return zodProblems(parsed.error);
    const spec = parsed.data;
    const problems: Problem[] = [];
    const caps = def.capabilities;
    if (spec.gpu && !caps.gpu.includes(spec.gpu.kind) && !caps.gpu.includes('*')) {
      problems.push({
        path: 'gpu.kind',
        message: `'${spec.gpu.kind}' is not offered by ${def.name} (offers: ${caps.gpu.join(', ') || 'none'})`,
      });
    }
    if (spec.region && caps.regions && !caps.regions.includes(spec.region)) {
      problems.push({
        path: 'region',
        message: `'${spec.region}' is not a ${def.name} region (regions: ${caps.regions.join(', ')})`,
      });
    }
    if (spec.replicas > 1 && !caps.multiReplica) {
      problems.push({ path: 'replicas', message: `${def.name} runs one replica per deployment` });
    }
    return [...problems, ...(def.validate?.(spec) ?? [])];
  }

  function parse(input: unknown): NodeSpec {
    const problems = validate(input);
    if (problems.length) {
      throw new UserError('invalid-spec', problemsMessage(problems), {
        adapter: def.name,
        fields: problems.map((p) => p.path),
      });
    }
    return nodeSpecSchema.parse(input);
  }

  async function provision(input: NodeSpecInput, ctx: ProvisionContext): Promise<Deployment> {
    const spec = parse(input);
    const id = ctx.id ?? spec.name;
    const now = () => new Date().toISOString();
    let record = await ctx.store.get(id);
    if (record && record.adapter !== def.name) {
      throw new UserError('invalid-spec', `deployment '${id}' belongs to adapter '${record.adapter}'`, {
        adapter: def.name,
        fields: ['name'],
      });
    }
    if (record?.state === 'running') return record;
    if (record?.state === 'provisioning' && JSON.stringify(record.spec) !== JSON.stringify(spec)) {
      throw new UserError(
        'invalid-spec',
        `deployment '${id}' is half-provisioned with a different spec; tear it down or use another name`,
        { adapter: def.name, fields: ['name'] },
      );
    }
    if (record?.state !== 'provisioning') {
      record = {
        id,
        adapter: def.name,
        spec,
        state: 'provisioning',
        steps: [],
        data: {},
        createdAt: now(),
        updatedAt: now(),
      };
      await ctx.store.put(record);
    }
    const rec = record;
    const save = async (partial: Record<string, unknown>) => {
      Object.assign(rec.data, partial);
      rec.updatedAt = now();
      await ctx.store.put(rec);
    };
    try {
      for (const [index, step] of def.steps.entries()) {
        if (rec.steps.some((s) => s.name === step.name)) {
          ctx.onProgress?.({ id, step: step.name, phase: 'skipped' });
          continue;
        }
        ctx.signal?.throwIfAborted();
        ctx.onProgress?.({ id, step: step.name, phase: 'start' });
        const output =
          (await step.run({ spec, record: rec, data: rec.data, signal: ctx.signal, save })) ?? {};
        rec.steps.push({ name: step.name, at: now(), output });
        await save(output);
        ctx.onProgress?.({ id, step: step.name, phase: 'done' });
        await ctx.afterStep?.(step.name, index);
      }
    } catch (e) {
      if (!isAdapterError(e)) throw e; // a crash: the record stays 'provisioning' and can be resumed
      // A classified failure: release what was created so nothing is left running or billing.
      try {
        await def.teardown(rec);
      } catch (cleanup) {
        rec.data.cleanupError = String((cleanup as Error)?.message ?? cleanup);
      }
      rec.state = 'failed';
      rec.error = { kind: e.kind, code: e.code, message: e.message };
      await save({});
      throw e;
    }
    rec.state = 'running';
    await save({});
    return rec;
  }

  return {
    name: def.name,
    capabilities: def.capabilities,
    steps: names,
    validate,
    quote: async (input) => def.quote(parse(input)),
    provision,
    status: async (dep) => {
      if (dep.state === 'torn-down') return { state: 'stopped', endpoints: [], replicas: [] };
      return def.status(dep);
    },
    logs: (dep, opts = {}) => def.logs(dep, opts),
    teardown: async (dep, ctx = {}) => {
      await def.teardown(dep);
      dep.state = 'torn-down';
      dep.updatedAt = new Date().toISOString();
      await ctx.store?.put(dep);
    },
  };
}

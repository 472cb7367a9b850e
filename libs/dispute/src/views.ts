import type { ExecutionView } from '@stoa/contracts';
import { buildTrace, type Model, modelId, type TraceStore, toHex } from '@stoa/ir';

/** The key a view is stored under: its trace root, without 0x. */
export function viewKey(view: ExecutionView): string {
  return toHex(view.trace.traceRoot).slice(2);
}

/** Keeps every tensor of an execution, so the party can rebuild its view after a restart. */
export async function saveView(store: TraceStore, view: ExecutionView): Promise<string> {
  const { graph } = view.model;
  const key = viewKey(view);
  // The same trace root means the same tensors: one copy serves every receipt of it.
  if (store.has(key)) return key;
  await store.put(key, {
    modelId: toHex(modelId(view.model)),
    dtypes: graph.nodeTypes.map((t) => t.dtype),
    values: graph.nodeTypes.map((_, n) => view.values[n] ?? graph.params.get(n) ?? new Int32Array(0)),
  });
  return key;
}

/** Rebuilds a stored view (values, then the trace from them); undefined when it was evicted. */
export async function loadView(
  store: TraceStore,
  key: string,
  model: Model,
): Promise<ExecutionView | undefined> {
  const stored = await store.get(key);
  if (!stored) return undefined;
  const id = toHex(modelId(model));
  if (stored.modelId !== id) throw new Error(`stored trace ${key} is of model ${stored.modelId}, not ${id}`);
  const values = [...stored.values];
  return { model, values, trace: buildTrace(model, values) };
}

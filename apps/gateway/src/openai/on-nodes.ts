import type { Meter } from '../metering/meter.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { WireReceipt } from '../routing/forward.js';
import type { ReplicaState } from '../routing/replica.js';
import { streamGeneration } from './node-generation.js';
import { nodeTextGenerator, type TextTokenizer } from './node-text-generator.js';
import type { TextGenerator } from './text-generator.js';

export interface GenerationOnNodesOptions {
  readonly models: () => readonly DeployedModel[];
  readonly find: (model: string) => DeployedModel | undefined;
  readonly tokenizers: Readonly<Record<string, TextTokenizer>>;
  /** The credential and gateway-signature headers of a request to one of `model`'s nodes. */
  readonly authHeaders: (model: DeployedModel, path: string, body: Buffer) => Record<string, string>;
  readonly timeoutMs: number;
  readonly checkReceipt: (
    model: DeployedModel,
    receipt: WireReceipt,
    replica: ReplicaState,
  ) => Promise<string | undefined>;
  readonly meter: Meter;
  readonly costWei: bigint;
  readonly onFailure: (replica: ReplicaState, why: string) => void;
}

/**
 * The OpenAI routes' generator in a gateway: generation on a replica of the model's deployment,
 * with the routing, failover, receipt checks and metering of an inference (one usage row per
 * generation; its compute is the steps of every token's execution, its receipt the node's
 * generation receipt).
 */
export function generationOnNodes(options: GenerationOnNodesOptions): TextGenerator {
  return nodeTextGenerator({
    models: options.models,
    find: options.find,
    tokenizers: options.tokenizers,
    generate: (model, request, onToken, streaming) =>
      streamGeneration(model, request, onToken, {
        authHeaders: (path, body) => options.authHeaders(model, path, body),
        timeoutMs: options.timeoutMs,
        checkReceipt: (receipt, replica) => options.checkReceipt(model, receipt, replica),
        onFailure: options.onFailure,
        streaming,
      }),
    settled: (request, model, outcome, latencyMs) => {
      const ok = !(outcome instanceof Error);
      options.meter.record({
        requestId: request.caller?.requestId ?? '',
        keyId: request.caller?.keyId ?? null,
        deploymentId: model.deploymentId,
        modelId: model.modelId,
        network: ok ? outcome.replica.network : '',
        node: ok ? (outcome.replica.node ?? '') : '',
        replicaUrl: ok ? outcome.replica.url : '',
        ok,
        latencyMs,
        computeOps: ok ? outcome.receipt.steps.reduce((sum, s) => sum + s.steps, 0) : 0,
        costWei: ok ? String(options.costWei) : '0',
        ...(ok
          ? { receipt: JSON.stringify({ receipt: outcome.receipt.generation, generation: outcome.receipt }) }
          : {}),
        at: Date.now(),
      });
    },
  });
}

import { pollUntil } from './backoff.js';
import { CapacityError } from './errors.js';
import type { NodeHealth } from './node-env.js';
import type { NodeSpec } from './types.js';

/** A node's `GET /health` body, or undefined when it does not answer (yet). */
export async function nodeHealth(url: string): Promise<NodeHealth | undefined> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as NodeHealth) : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeReadyWait {
  readonly url: string;
  readonly spec: NodeSpec;
  readonly adapter: string;
  /** The replica as the network names it, for errors: "io.net container 3f2…". */
  readonly what: string;
  readonly timeoutMs: number;
  /** Authorizes the node when it awaits its operator (`nodeAuthorizer`). */
  readonly authorize: (spec: NodeSpec, health: NodeHealth | undefined) => Promise<void>;
  /** Whether the network reports the replica's process gone (it will never answer). */
  readonly exited?: () => Promise<boolean>;
}

/**
 * Waits until a container network's node answers ready, authorizing it from the operator's
 * machine when it awaits its operator; fails at once when it reports failure or its process exits.
 */
export async function untilNodeReady(wait: NodeReadyWait): Promise<void> {
  const ok = await pollUntil(
    async () => {
      const h = await nodeHealth(wait.url);
      if (h?.state === 'ready') return true;
      await wait.authorize(wait.spec, h);
      const exited = h?.state !== 'failed' && (await wait.exited?.());
      if (h?.state === 'failed' || exited) {
        throw new CapacityError(
          'provider-failed',
          `${wait.what} ${exited ? 'exited' : `failed: ${h?.reason ?? 'no reason given'}`}`,
          { adapter: wait.adapter, hint: "read its logs ('stoa logs')" },
        );
      }
      return undefined;
    },
    { timeoutMs: wait.timeoutMs, intervalMs: 200 },
  );
  if (!ok) {
    throw new CapacityError('provider-failed', `${wait.what} never became healthy`, {
      adapter: wait.adapter,
    });
  }
}

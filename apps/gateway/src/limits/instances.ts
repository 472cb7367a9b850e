import type { GatewayStore } from '../store/gateway-store.js';

/**
 * This instance's heartbeat in GatewayInstance, and how many instances beat within the last
 * `staleMs`: the share each takes of a key's rate limit. A crashed instance drops out after
 * `staleMs`, and the others take its share back.
 */
export class InstanceRegistry {
  private live = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: GatewayStore,
    readonly id: string,
    private readonly beatMs = 1_000,
    private readonly staleMs = 3_000,
  ) {}

  get count(): number {
    return this.live;
  }

  async start(): Promise<void> {
    await this.beat();
    const loop = () => {
      this.timer = setTimeout(() => void this.beat().finally(loop), this.beatMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.store.removeInstance(this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      this.live = Math.max(1, await this.store.heartbeat(this.id, new Date(), this.staleMs));
    } catch {
      // The database is away: keep the last count.
    }
  }
}

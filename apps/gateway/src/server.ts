import type { AddressInfo } from 'node:net';
import { buildGateway, type Gateway } from './app.js';
import type { GatewayOptions } from './options.js';

export interface RunningGateway extends Gateway {
  readonly url: string;
}

/** Builds the gateway and listens (127.0.0.1 unless `host` says otherwise; port 0 picks a free one). */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const gateway = await buildGateway(options);
  try {
    await gateway.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  const { address, port } = gateway.app.server.address() as AddressInfo;
  return { ...gateway, url: `http://${address}:${port}` };
}

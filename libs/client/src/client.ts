import { StoaError } from './errors/base.js';

export interface StoaClientConfig {
  /** The gateway's base URL, e.g. http://127.0.0.1:8787 */
  readonly baseUrl: string;
  /** The API key (`sk_…`). */
  readonly apiKey: string;
  readonly fetch?: typeof fetch;
}

export interface StoaClient {
  readonly baseUrl: string;
  request<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T>;
}

/** A client of the gateway: the transport the actions share. */
export function createStoaClient(config: StoaClientConfig): StoaClient {
  const send = config.fetch ?? fetch;
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    async request<T>(
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      let response: Response;
      try {
        response = await send(`${baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${config.apiKey}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        throw new StoaError(`cannot reach the gateway at ${baseUrl}: ${(error as Error).message}`);
      }
      const requestId = response.headers.get('x-request-id') ?? undefined;
      const parsed = (await response.json().catch(() => undefined)) as
        | (T & { error?: { message: string; type: string; code: string } })
        | undefined;
      if (!response.ok || !parsed) {
        const error = parsed?.error;
        throw new StoaError(error?.message ?? `the gateway answered ${response.status}`, {
          status: response.status,
          ...(error ? { type: error.type, code: error.code } : {}),
          ...(requestId ? { requestId } : {}),
        });
      }
      return parsed;
    },
  };
}

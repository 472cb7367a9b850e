/** An error answered by the gateway (`{ error: { message, type, code } }`) or met on the way. */
export class StoaError extends Error {
  constructor(
    readonly shortMessage: string,
    readonly details: {
      readonly status?: number;
      readonly type?: string;
      readonly code?: string;
      readonly requestId?: string;
    } = {},
  ) {
    const parts = [
      shortMessage,
      details.status ? `Status: ${details.status}` : '',
      details.code ? `Code: ${details.code}` : '',
      details.requestId ? `Request: ${details.requestId}` : '',
    ];
    super(parts.filter(Boolean).join('\n'));
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get code(): string | undefined {
    return this.details.code;
  }
}

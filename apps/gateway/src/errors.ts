/**
 * Errors as the client sees them: an HTTP status and an OpenAI-style body
 * `{ error: { message, type, code } }`. Messages never quote a key, a key's hash or a credential.
 */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body() {
    return { error: { message: this.message, type: this.type, code: this.code } };
  }
}

const auth = (code: string, message: string) => new GatewayError(401, 'authentication_error', code, message);

export const Errors = {
  missingKey: () => auth('missing_api_key', 'no API key: send it as `Authorization: Bearer sk_…`'),
  malformedKey: () =>
    auth('invalid_api_key', 'the API key is malformed: keys look like `sk_` and 43 characters'),
  unknownKey: () => auth('invalid_api_key', 'the API key is not valid'),
  revokedKey: () => auth('revoked_api_key', 'the API key was revoked'),
  expiredKey: () => auth('expired_api_key', 'the API key has expired'),
  modelNotAllowed: (model: string) =>
    new GatewayError(
      403,
      'permission_error',
      'model_not_allowed',
      `this API key may not call model '${model}'`,
    ),
  modelNotFound: (model: string) =>
    new GatewayError(404, 'invalid_request_error', 'model_not_found', `no deployed model '${model}'`),
  receiptNotFound: (id: string) =>
    new GatewayError(404, 'invalid_request_error', 'receipt_not_found', `no receipt '${id}' for this key`),
  routeNotFound: (method: string, url: string) =>
    new GatewayError(404, 'invalid_request_error', 'route_not_found', `no route ${method} ${url}`),
  tooLarge: (limit: number) =>
    new GatewayError(
      413,
      'invalid_request_error',
      'body_too_large',
      `the body is over the ${limit}-byte limit`,
    ),
  badRequest: (message: string) => new GatewayError(400, 'invalid_request_error', 'invalid_request', message),
  rateLimited: (retryAfterS: number, headers: Record<string, string> = {}) =>
    new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', 'too many requests for this API key', {
      ...headers,
      'retry-after': String(retryAfterS),
    }),
  quotaExceeded: (retryAfterS: number) =>
    new GatewayError(
      429,
      'insufficient_quota',
      'quota_exceeded',
      'this API key is out of monthly quota or over its spend cap',
      {
        'retry-after': String(retryAfterS),
      },
    ),
  authThrottled: (retryAfterS: number) =>
    new GatewayError(
      429,
      'rate_limit_error',
      'too_many_auth_failures',
      'too many failed authentications from this address',
      {
        'retry-after': String(retryAfterS),
      },
    ),
  unavailable: (why: string) =>
    new GatewayError(503, 'service_unavailable', 'no_healthy_replica', why, { 'retry-after': '1' }),
} as const;

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyServerFactoryHandler } from 'fastify';

/**
 * The inference route, `POST /v1/models/:model/infer`, served on node:http without Fastify's
 * per-request machinery (its request and reply objects, hooks, content-type parser, route lookup
 * and reply serialization): the gateway's hottest route, whose every other cost is the node's
 * answer, the receipt check and the usage line (docs/decisions.md, "The inference route outside
 * Fastify"). Only the plain form takes this path: no query string, a model name with nothing
 * to decode (at most find-my-way's 100 characters), `application/json` with a content-length
 * within the body limit, no transfer-encoding, and the gateway not closing. Every other request,
 * including every malformed or oversized one, goes to Fastify, whose route for the same path
 * answers it as before (its 413, 415 and 404 bodies), so the lean path never has to imitate an
 * error that Fastify raises.
 */
const PLAIN_INFER = /^\/v1\/models\/([^/?#%]{1,100})\/infer$/;

/** The model named by a request the lean path may serve, or undefined for Fastify to serve it. */
export function leanInferModel(request: IncomingMessage, maxBodyBytes: number): string | undefined {
  if (request.method !== 'POST') return undefined;
  const match = PLAIN_INFER.exec(request.url ?? '');
  if (!match) return undefined;
  const type = request.headers['content-type'];
  if (type !== 'application/json' && !type?.startsWith('application/json;')) return undefined;
  if (request.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(request.headers['content-length']);
  if (!(length > 0 && length <= maxBodyBytes)) return undefined;
  return match[1];
}

/** Serves a request on the lean path, or returns false to hand it to Fastify. */
export type LeanRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * Fastify's `serverFactory`: the HTTP server Fastify would build (its keep-alive, request and
 * connection timeouts, requests per socket), whose requests go to `lean` first.
 */
export function leanServerFactory(lean: LeanRoute) {
  return (handler: FastifyServerFactoryHandler, options: Record<string, unknown>): Server => {
    const server = createServer((request, response) => {
      if (!lean(request, response)) handler(request, response);
    });
    // As Fastify's own getServerInstance sets them for an HTTP/1 server.
    server.keepAliveTimeout = options.keepAliveTimeout as number;
    server.requestTimeout = options.requestTimeout as number;
    server.setTimeout(options.connectionTimeout as number);
    const perSocket = options.maxRequestsPerSocket as number;
    if (perSocket > 0) server.maxRequestsPerSocket = perSocket;
    return server;
  };
}

/** The whole body of a request whose content-length the lean path checked, as one Buffer. */
export function readBody(request: IncomingMessage, done: (body: Buffer) => void): void {
  const length = Number(request.headers['content-length']);
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  request.on('data', (chunk: Buffer) => {
    at += chunk.copy(body, at);
  });
  // node:http ends a request only once content-length bytes came; an aborted one never ends.
  request.on('end', () => done(body));
}

/** A JSON answer as Fastify's reply sends an object: `application/json; charset=utf-8`, its length. */
export function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  payload: unknown,
): void {
  const text = JSON.stringify(payload);
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(status, headers);
  response.end(text);
}

/**
 * A child process for the framework benchmark: one JSON POST route (auth header read, body
 * parsed and echoed with a header), on Fastify or on Hono's node adapter. Prints its port.
 */
import { serve } from '@hono/node-server';
import Fastify from 'fastify';
import { Hono } from 'hono';

const framework = process.argv[2];
const answer = (body: unknown, auth: string | undefined) => ({ ok: auth !== undefined, echo: body });

if (framework === 'fastify') {
  const app = Fastify({ logger: false });
  app.post('/v1/models/:model/infer', async (request, reply) => {
    reply.header('x-request-id', 'r');
    return answer(request.body, request.headers.authorization);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
} else if (framework === 'hono') {
  const app = new Hono();
  app.post('/v1/models/:model/infer', async (c) => {
    c.header('x-request-id', 'r');
    return c.json(answer(await c.req.json(), c.req.header('authorization')));
  });
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
    console.log(JSON.stringify({ port: info.port }));
  });
} else {
  console.error(`framework-server: unknown framework '${framework}' (fastify|hono)`);
  process.exit(2);
}

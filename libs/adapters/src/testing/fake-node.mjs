// A stand-in for apps/node in the adapters' own tests: a real HTTP server on STOA_LISTEN that
// answers GET /health like the node does, logs to stdout, and exits on SIGTERM.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const listen = process.env.STOA_LISTEN ?? '127.0.0.1:0';
const i = listen.lastIndexOf(':');
const host = listen.slice(0, i);
const port = Number(listen.slice(i + 1));
const readyAfterMs = Number(process.env.FAKE_READY_AFTER_MS ?? 150);
const started = Date.now();

if (process.env.FAKE_FAIL === '1') {
  console.error('fake node: refusing to start: STOA_ARTIFACT_URL unreachable');
  process.exit(3);
}

// FAKE_PORT_TAKEN_ONCE: the first start finds its port taken (a real EADDRINUSE crash), as when
// another process grabs the port between the adapter choosing it and the node binding it.
const marker = `${process.env.STOA_DATA_DIR}/.port-was-taken`;
if (process.env.FAKE_PORT_TAKEN_ONCE === '1' && !existsSync(marker)) {
  writeFileSync(marker, '');
  const squatter = createServer();
  squatter.listen(port, host, () => createServer().listen(port, host));
} else {
  startServing();
}

function startServing() {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          state: Date.now() - started < readyAfterMs ? 'starting' : 'ready',
          modelId: process.env.STOA_MODEL_ID,
          role: process.env.STOA_ROLE,
          dataDir: process.env.STOA_DATA_DIR,
          pid: process.pid,
        }),
      );
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  server.listen(port, host, () => {
    console.log(
      `node ${process.env.STOA_MODEL_ID} (${process.env.STOA_ROLE}) listening on ${host}:${server.address().port}`,
    );
  });
  let n = 0;
  setInterval(() => console.log(`heartbeat ${++n}`), 200);
}
process.on('SIGTERM', () => {
  console.log('stopping');
  process.exit(0);
});

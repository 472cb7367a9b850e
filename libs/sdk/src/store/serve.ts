/**
 * The content-addressed artifact store as a process: `node --import tsx serve.ts <dir> <port>`.
 * GET /<sha256 hex> returns the file of that digest; nothing else is served.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [dir, port] = process.argv.slice(2);
if (!dir || !port) throw new Error('usage: serve.ts <dir> <port>');

createServer((req, res) => {
  const digest = /^\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
  const file = digest ? join(dir, digest) : undefined;
  if (req.method !== 'GET' || !file || !existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  createReadStream(file).pipe(res);
}).listen(Number(port), process.env.STOA_BIND ?? '127.0.0.1');

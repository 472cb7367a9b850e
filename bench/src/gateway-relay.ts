/**
 * A bare TCP relay, the floor under any proxy's added latency on this machine: every byte from a
 * client goes to `host:port` on a connection of its own and back, as it came (no parsing, no
 * HTTP), Nagle off on both sides. The gateway bench (gateway-overhead.ts) runs it as its own
 * process in front of the node and measures it beside the direct and gateway paths, requests
 * alternated, so that the gateway's added p50 splits into what one more process and loopback hop
 * cost here (the relay's) and what the gateway's own work costs (the rest).
 *
 * `node --import tsx bench/src/gateway-relay.ts <host:port>`: prints `{"msg":"listening","url":…}`.
 */
import { connect, createServer } from 'node:net';

const target = process.argv[2] ?? '';
const at = target.lastIndexOf(':');
const host = target.slice(0, at);
const port = Number(target.slice(at + 1));
if (!host || !(port > 0)) {
  process.stderr.write(`gateway-relay: "${target}" is not host:port\n`);
  process.exit(2);
}
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host, port, noDelay: true });
  client.on('data', (bytes) => upstream.write(bytes));
  upstream.on('data', (bytes) => client.write(bytes));
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => client.destroy());
  upstream.on('error', () => upstream.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${address.port}` })}\n`);
});
process.once('SIGTERM', () => process.exit(0));

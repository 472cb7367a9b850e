/**
 * `npm run start -w @stoa/console -- [--host 127.0.0.1] [--port 3000] [--project .] [--ensure-build]`:
 * serves the built console (`npm run build -w @stoa/console` first, or --ensure-build). Off loopback, STOA_CONSOLE_EMAIL and
 * STOA_CONSOLE_PASSWORD name the admin account created on first start.
 */
import { parseArgs } from 'node:util';
import { ensureConsoleBuilt } from './build.js';
import { startConsole } from './console-server.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '3000' },
    project: { type: 'string', default: process.cwd() },
    'public-url': { type: 'string' },
    /** Run `next build` first when the build is older than the pages (what `stoa dev` does). */
    'ensure-build': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: must be a port number, got '${values.port}'`);
  process.exit(2);
}
if (values['ensure-build']) {
  console.error('console: building the pages (next build) if they changed…');
  await ensureConsoleBuilt();
}
const { STOA_CONSOLE_EMAIL: email, STOA_CONSOLE_PASSWORD: password } = process.env;
const running = await startConsole({
  projectDir: values.project,
  host: values.host,
  port,
  ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
  ...(email && password ? { admin: { email, password } } : {}),
});
console.error(`console: ${running.url}${running.loginRequired ? ' (login required)' : ''}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}

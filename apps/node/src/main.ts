#!/usr/bin/env node
/**
 * The node image's entrypoint: `node --import tsx apps/node/src/main.ts`, configured entirely
 * by STOA_* environment variables (apps/node/README.md). Exits 2 on a bad configuration, with
 * a message naming each bad variable; stops gracefully on SIGTERM or SIGINT.
 */
import { ConfigError, configFromEnv } from './config.js';
import { jsonLogger } from './log.js';
import { startNode } from './node.js';

const logger = jsonLogger({ service: 'stoa-node' });
let config: ReturnType<typeof configFromEnv>;
try {
  config = configFromEnv(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const node = await startNode(config, logger);
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'stopping', { signal });
    node.stop().then(
      () => process.exit(0),
      (error: Error) => {
        logger.log('error', 'stop failed', { error: error.message });
        process.exit(1);
      },
    );
  });
}

export { buildGateway, type Gateway } from './app.js';
export { configFromEnv, type GatewayConfig } from './config.js';
export { Errors, GatewayError } from './errors.js';
export type { GatewayOptions } from './options.js';
export { createReceiptRecoverer, type ReceiptRecoverer } from './receipts/verify.js';
export { type RunningGateway, startGateway } from './server.js';
export type { CheckResult } from './spot-check.js';
export { type GatewayProcess, spawnGateway } from './testing/process.js';
export { DEV_KEYS, type ReplicaSpec, type Stack, startStack, TEST_MODEL_NAME } from './testing/stack.js';

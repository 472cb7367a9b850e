export { buildGateway, type Gateway } from './app.js';
export { configFromEnv, type GatewayConfig } from './config.js';
export { Errors, GatewayError } from './errors.js';
export { type OpenAiRoutesOptions, openAiRoutes } from './openai/routes.js';
export type { GeneratedText, TextGenerationRequest, TextGenerator } from './openai/text-generator.js';
export type { GatewayOptions } from './options.js';
export {
  type FeeSettlerOptions,
  type SettleFailure,
  settleFinalizedClaims,
} from './receipts/fee-settler.js';
export { createReceiptRecoverer, type ReceiptRecoverer } from './receipts/verify.js';
export { type RunningGateway, startGateway } from './server.js';
export type { CheckResult } from './spot-check.js';
export { type GatewayProcess, spawnGateway } from './testing/process.js';
export { DEV_KEYS, type ReplicaSpec, type Stack, startStack, TEST_MODEL_NAME } from './testing/stack.js';

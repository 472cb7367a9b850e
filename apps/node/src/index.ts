export {
  BINARY_INPUTS_CONTENT_TYPE,
  decodeBinaryInputs,
  type ElementType,
  encodeBinaryInputs,
  isBinaryInputs,
} from './binary-inputs.js';
export { ConfigError, configFromEnv, type NodeConfig } from './config.js';
export { DEV_KEYS, Deployment } from './dev/deployment.js';
export { formatComparison, type LoadComparison, mustShow4, nodeLoadScenario } from './dev/load-scenario.js';
export { type NodeLaunch, type NodeProcess, spawnNode } from './dev/process.js';
export { GATEWAY_CREDENTIAL_HEADER } from './gateway-credential.js';
export { coalescedInferRequest, inferRequest, type LoadReport, runLoad } from './load.js';
export { jsonLogger, type Logger } from './log.js';
export { type HealthState, httpClaimSource, type RunningNode, startNode } from './node.js';
export { parseInputs, RequestError } from './tensors.js';

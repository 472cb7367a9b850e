export {
  type BisectionRound,
  type ChainHistory,
  type ClaimHistory,
  type DisputeHistory,
  disputeHistory,
  type GameEvent,
} from './chain/dispute-history.js';
export { feeEscrowOf, recordFeeEscrow } from './chain/fee-escrow-record.js';
export {
  type ClaimFees,
  type FeeChain,
  type FeeEscrowRef,
  type FeeLedger,
  readFeeLedger,
} from './chain/fee-ledger.js';
export {
  type DeploymentFees,
  type FeeReport,
  feeReconciliation,
  type NodeFees,
  projectFeeReports,
} from './chain/fee-reconciliation.js';
export { parseWei } from './config/amounts.js';
export { type DefinedModel, defineModel, parseConfig } from './config/define-model.js';
export { ConfigError, type ConfigProblem, formatPath } from './config/errors.js';
export { CONFIG_FILES, findConfig, type LoadedConfig, loadConfig } from './config/load.js';
export {
  type AdapterPlugin,
  BUILTIN_NETWORKS,
  type BuiltinNetwork,
  type CalibrationSource,
  type NetworkConfig,
  type StoaConfig,
  type StoaConfigInput,
  stoaConfigSchema,
  type VerificationConfig,
} from './config/schema.js';
export { resolveSecret, type SecretRef } from './config/secrets.js';
export { economicsOf, verificationProblems } from './config/verification.js';
export {
  type ApiKey,
  databaseUrl,
  databaseUrlOfDb,
  openDatabase,
  providerOfDb,
  type StoaDb,
  weiOf,
} from './db/client.js';
export { type MigrateResult, migrateDatabase, migrationNames } from './db/migrate.js';
export { providerOf } from './db/schema-engine.js';
export type { Provider } from './db/schema-render.js';
export { startTestPostgres, type TestPostgres } from './db/testing/postgres.js';
export { type BuildResult, buildModel } from './deploy/build.js';
export {
  DEPLOY_STATES,
  DeployEngine,
  type DeployEvents,
  type DeployResult,
  type DeployState,
} from './deploy/engine.js';
export {
  devVoucherAccount,
  ensureDeploymentEscrow,
  type FeeEscrowTerms,
  feeEscrowTerms,
  openFeeEscrow,
} from './deploy/fees.js';
export { type KeyState, keyState, type ListedKey, listApiKeys } from './deploy/key-list.js';
export {
  type CreatedKey,
  createApiKey,
  findKey,
  hashKey,
  KEY_PATTERN,
  KEY_PREFIX_LENGTH,
  type KeyLimits,
  keyMatches,
  keySecret,
  revokeApiKey,
} from './deploy/keys.js';
export { adapterFor, networkName, REPO_ROOT } from './deploy/network-adapters.js';
export { BudgetError, type NetworkQuote, type Placement, type Plan } from './deploy/plan.js';
export { ensureProject } from './deploy/project.js';
export { DbRecordStore } from './deploy/record-store.js';
export { type DevChain, ensureDevChain, marker, stopServices } from './deploy/services.js';
export { type TeardownResult, teardown } from './deploy/teardown.js';
export { chargeKey, quotaMonth } from './gateway/charge.js';
export { gatewayCredential } from './gateway/credential.js';
export { changeKeys, keyVersions } from './gateway/key-version.js';
export {
  gatewayPublicKey,
  gatewayPublicKeyFromEnv,
  gatewaySigningKey,
  signGatewayRequest,
} from './gateway/signing.js';
export {
  emptyUsageCell,
  type ReceiptRow,
  type UsageCell,
  type UsageQuery,
  type UsageTotal,
  usageTotals,
  writeUsageBatch,
} from './gateway/usage.js';
export { type UsagePoint, type UsageSeriesQuery, usageSeries } from './gateway/usage-series.js';
export {
  type EvalSet,
  type ImportedModel,
  importModel,
  type ModelImportInput,
  type ModelImportProgress,
} from './models/import-model.js';

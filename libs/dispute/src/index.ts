export { checkReceipt, openChallenge, type Verdict } from './challenger.js';
export {
  type BatchInfo,
  Claimer,
  type ClaimerOptions,
  type GenerationExecution,
  type OnDemandExecution,
} from './claimer.js';
export { type Defence, Defender, type DefenderOptions, MAX_TAKE_ATTEMPTS } from './defender.js';
export { DemandAnswerer, type DemandAnswererOptions, DemandKind } from './demands.js';
export {
  type CheatingOutlook,
  cheatingOutlook,
  type Economics,
  EconomicsSchema,
  validateEconomics,
} from './economics.js';
export { Journal } from './journal.js';
export { executionKey, isOnDemand, ON_DEMAND_ROOT, onDemandReceipt, rebuildView } from './on-demand.js';
export { DisputePlayer, type PlayerOptions, type Role, type StepResult } from './player.js';
export {
  InconsistentReveal,
  type Located,
  locateFirstDifference,
  type TreeRevealer,
  treeLevels,
  treeRevealer,
} from './sequence-locator.js';
export { loadView, saveView, viewKey } from './views.js';
export { type ClaimSource, Watcher, type WatcherOptions, type WatcherReport } from './watcher.js';

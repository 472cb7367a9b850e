export { type AnvilOptions, anvilBinary, freePort, type LocalChain, startAnvil } from './anvil.js';
export { claimRegistryArtifact, modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';
export {
  DEV_PARAMETERS,
  deployStoa,
  type ProtocolParameters,
  readAddresses,
  type StoaAddresses,
  writeAddresses,
} from './deploy.js';

export { type AnvilOptions, anvilBinary, freePort, type LocalChain, startAnvil } from './anvil.js';
export { modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';

import type { Address, PrivateKeyAccount } from 'viem';
import { claimRegistryArtifact, generationGameArtifact } from '../artifacts.generated.js';
import type { ProtocolParameters, StoaAddresses } from '../deploy.js';
import type { ChainClient } from './client.js';

/** What GenerationGame's sampler and window need of a model's input and logits. */
export interface GenerationShape {
  readonly context: number;
  readonly vocab: number;
  readonly inputWidth: number;
  readonly logitsWidth: number;
  readonly logitsFrac: number;
}

/**
 * Deploys the game over generations' tokens beside a deployed Stoa (same arity, clock and
 * challenge bond as the dispute game) and makes it the claim registry's generation game;
 * `deployer` must be the claim registry's governor.
 */
export async function deployGenerationGame(
  h: ChainClient,
  deployer: PrivateKeyAccount,
  at: StoaAddresses,
  p: ProtocolParameters,
): Promise<Address> {
  const game = await h.deploy(deployer, generationGameArtifact, [
    at.claimRegistry,
    p.arity,
    p.clockSeconds,
    p.challengeBond,
  ]);
  await h.send(deployer, at.claimRegistry, claimRegistryArtifact.abi, 'setGenerationGame', [game]);
  return game;
}

/** Sets the sampler's view of model `modelId` (once; by the deployer). */
export async function setGenerationShape(
  h: ChainClient,
  deployer: PrivateKeyAccount,
  game: Address,
  modelId: `0x${string}`,
  shape: GenerationShape,
): Promise<void> {
  await h.send(deployer, game, generationGameArtifact.abi, 'setShape', [modelId, shape]);
}

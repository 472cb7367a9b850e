import type { Model } from '@stoa/ir';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { modelRegistryArtifact } from '../artifacts.generated.js';
import type { StoaAddresses } from '../deploy.js';
import type { ChainClient } from './client.js';
import { type ModelCommitments, modelCommitments, registerArgs } from './commitments.js';

const abi = modelRegistryArtifact.abi;

interface RegisteredModel {
  readonly weightsRoot: Hex;
  readonly stepsRoot: Hex;
  readonly layoutHash: Hex;
  readonly steps: number;
  readonly opset: number;
}

/** The fields of `node`'s registration of `model` that differ from the model's own, by name. */
export async function registrationMismatches(
  client: ChainClient,
  addresses: StoaAddresses,
  node: Address,
  model: Model | ModelCommitments,
): Promise<string[] | 'unregistered'> {
  const c = 'graph' in model ? modelCommitments(model) : model;
  if (!((await client.read(addresses.modelRegistry, abi, 'isRegistered', [c.modelId, node])) as boolean))
    return 'unregistered';
  const entry = (await client.read(addresses.modelRegistry, abi, 'get', [
    c.modelId,
    node,
  ])) as RegisteredModel;
  const fields = ['weightsRoot', 'stepsRoot', 'layoutHash', 'steps', 'opset'] as const;
  return fields
    .filter((f) => String(entry[f]).toLowerCase() !== String(c[f]).toLowerCase())
    .map((f) => `${f}: registered ${entry[f]}, the model's ${c[f]}`);
}

/**
 * A node's start-up check (issue 18, finding 3): its own registration of the model must match
 * every commitment computed from the model it serves — weightsRoot, stepsRoot, layoutHash,
 * steps, op set — or its disputes could not be won. Registers them when absent; throws naming
 * each differing field otherwise.
 */
export async function ensureRegistration(
  client: ChainClient,
  addresses: StoaAddresses,
  account: PrivateKeyAccount,
  model: Model,
): Promise<ModelCommitments> {
  const commitments = modelCommitments(model);
  let mismatches = await registrationMismatches(client, addresses, account.address, commitments);
  if (mismatches === 'unregistered') {
    await client.send(account, addresses.modelRegistry, abi, 'register', registerArgs(commitments));
    mismatches = await registrationMismatches(client, addresses, account.address, commitments);
  }
  if (mismatches === 'unregistered' || mismatches.length > 0)
    throw new Error(
      `model ${commitments.modelId}: this node's registration differs from the model it serves (${
        mismatches === 'unregistered' ? 'not registered' : mismatches.join('; ')
      }); register under a fresh node key`,
    );
  return commitments;
}

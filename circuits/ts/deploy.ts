import { artifacts, type ChainClient } from '@stoa/contracts';
import type { Model } from '@stoa/ir';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { modelCircuits } from './catalog.js';

type Artifact = { abi: readonly unknown[]; bytecode: Hex };

/** The compiled Groth16 verifier of circuit `name` (contracts/src/zk/<name>Verifier.sol). */
export function verifierArtifact(name: string): Artifact {
  const id = `${name[0]!.toLowerCase()}${name.slice(1)}VerifierArtifact`;
  const artifact = (artifacts as Record<string, Artifact | undefined>)[id];
  if (!artifact) {
    throw new Error(`no compiled verifier for circuit ${name} (${id}): run \`npm run circuits:build\``);
  }
  return artifact;
}

/** ZkVerifier.Circuit entries for every step of the given models. */
export interface ZkDeployment {
  readonly zkVerifier: Address;
  /** Groth16 verifier address by circuit name. */
  readonly verifiers: Readonly<Record<string, Address>>;
}

/**
 * Deploys one Groth16 verifier per distinct circuit of `models` and a ZkVerifier that maps each
 * step's circuit key to it: a deployment's ZK verification mode. Pass `zkVerifier` to
 * `deployStoa({ verifier })` to play disputes through it.
 */
export async function deployZkVerifier(
  h: ChainClient,
  account: PrivateKeyAccount,
  models: readonly Model[],
): Promise<ZkDeployment> {
  const verifiers: Record<string, Address> = {};
  const entries = new Map<Hex, { key: Hex; verifier: Address; blockParam: number }>();
  for (const model of models) {
    for (const { key, circuit } of modelCircuits(model)) {
      verifiers[circuit.name] ??= await h.deploy(account, verifierArtifact(circuit.name) as never);
      entries.set(key, { key, verifier: verifiers[circuit.name]!, blockParam: circuit.blockParam });
    }
  }
  const zkVerifier = await h.deploy(account, artifacts.zkVerifierArtifact, [[...entries.values()]]);
  return { zkVerifier, verifiers };
}

/**
 * The per-circuit steps of the key build (`r1cs info`, `groth16 setup`, a beacon phase-2
 * contribution, the verification key, the Solidity verifier) through snarkjs's library, in the
 * build's own process. Run through its CLI, each of the five steps per circuit was a process that
 * loaded snarkjs and built the bn128 curve and its worker threads again (~2 s of CPU each); here
 * they share one curve. The calls and arguments are the CLI's, so the files are the same.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { r1cs, zKey } from 'snarkjs';

const require = createRequire(import.meta.url);
const TEMPLATES = join(dirname(require.resolve('snarkjs')), '..', 'templates');

export interface CircuitSize {
  readonly constraints: number;
  readonly publicSignals: number;
  readonly outputs: number;
  readonly wires: number;
}

export async function circuitSize(r1csPath: string): Promise<CircuitSize> {
  const info = await r1cs.info(r1csPath);
  return {
    constraints: info.nConstraints,
    publicSignals: info.nPubInputs,
    outputs: info.nOutputs,
    wires: info.nVars,
  };
}

export interface KeyFiles {
  readonly r1cs: string;
  readonly ptau: string;
  /** `groth16 setup`'s key, before the beacon contribution. */
  readonly initialZkey: string;
  /** The proving key: written under `.tmp` and renamed into place whole. */
  readonly zkey: string;
  readonly vkey: string;
}

/** `groth16 setup`, `zkey beacon`, `zkey export verificationkey`; returns the Solidity verifier's source. */
export async function buildKey(
  files: KeyFiles,
  beacon: { hash: string; iterationsExp: number; name: string },
): Promise<string> {
  await zKey.newZKey(files.r1cs, files.ptau, files.initialZkey);
  // The CLI passes the iteration count on as the string it parsed; so does this.
  await zKey.beacon(
    files.initialZkey,
    `${files.zkey}.tmp`,
    beacon.name,
    beacon.hash,
    String(beacon.iterationsExp),
  );
  renameSync(`${files.zkey}.tmp`, files.zkey);
  const vkey = await zKey.exportVerificationKey(files.zkey);
  writeFileSync(
    files.vkey,
    JSON.stringify(vkey, (_key, value) => (typeof value === 'bigint' ? String(value) : value), 1),
  );
  return zKey.exportSolidityVerifier(files.zkey, {
    groth16: readFileSync(join(TEMPLATES, 'verifier_groth16.sol.ejs'), 'utf8'),
  });
}

/** snarkjs keeps its curve's worker threads (shared through a global) until terminated. */
export async function releaseCurve(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
}

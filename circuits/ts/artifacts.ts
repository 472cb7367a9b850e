import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Committed: witness generators, verification keys and the manifest (small files). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** Gitignored: the ceremony, r1cs and proving keys, rebuilt bit for bit by the build. */
export const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url));
export const BUILD_COMMAND = 'npm run circuits:build';

export interface ManifestCircuit {
  readonly name: string;
  readonly template: string;
  readonly blockParam: number;
  readonly constraints: number;
  readonly publicSignals: number;
  readonly wires: number;
}

export interface Manifest {
  readonly ceremony: { readonly power: number; readonly beacon: string; readonly iterationsExp: number };
  readonly circuits: readonly ManifestCircuit[];
}

export function readManifest(): Manifest {
  const file = `${ARTIFACTS_DIR}manifest.json`;
  if (!existsSync(file)) throw new Error(`circuit artifacts are missing (${file}): run \`${BUILD_COMMAND}\``);
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

export function manifestCircuit(name: string): ManifestCircuit {
  const found = readManifest().circuits.find((c) => c.name === name);
  if (!found)
    throw new Error(`circuit ${name} is not in circuits/artifacts/manifest.json: run \`${BUILD_COMMAND}\``);
  return found;
}

function required(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} is missing (${path}): run \`${BUILD_COMMAND}\``);
  return path;
}

export const wasmPath = (name: string) =>
  required(`${ARTIFACTS_DIR}${name}.wasm`, `the witness generator of ${name}`);
export const vkeyPath = (name: string) =>
  required(`${ARTIFACTS_DIR}${name}.vkey.json`, `the verification key of ${name}`);
export const zkeyPath = (name: string) => required(`${CACHE_DIR}${name}.zkey`, `the proving key of ${name}`);
export const hasProvingKey = (name: string) => existsSync(`${CACHE_DIR}${name}.zkey`);

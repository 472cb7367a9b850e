/**
 * `npm run circuits:build`: compile → ceremony → proving keys → Solidity verifiers, in one go.
 *
 * 1. Every distinct tile circuit of the MNIST CNN (circuits/ts/catalog.ts) is written as a
 *    main component over circuits/circom/stoa.circom and compiled with circom2 (--r1cs --wasm).
 * 2. A development powers-of-tau ceremony of the smallest power that fits the largest circuit:
 *    `powersoftau new`, one public beacon contribution, `prepare phase2` of only the domain sizes
 *    the circuits use (prepare-phase2.ts), computed from the beacon's public key (fixed-base
 *    multiplications, not group IFFTs). Cached in
 *    circuits/.cache (gitignored) and never downloaded. Its only contribution is a beacon, so
 *    anyone can recompute it — and its toxic waste: fine for development, never for production
 *    (production starts from a public multi-party ceremony, see circuits/README.md).
 * 3. Per circuit: `groth16 setup` and a beacon phase-2 contribution (again deterministic, so a
 *    rebuild reproduces the committed verifiers byte for byte), the verification key, and the
 *    exported Solidity verifier, renamed `<Name>Verifier`, into contracts/src/zk/.
 * 4. `npm run contracts:compile` so contracts/ts/artifacts.generated.ts includes them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importMnistModel } from '@stoa/example-mnist';
import { ARTIFACTS_DIR, CACHE_DIR, type Manifest, type ManifestCircuit } from '../ts/artifacts.js';
import { distinctCircuits } from '../ts/catalog.js';
import { buildKey, circuitSize, releaseCurve } from './keys.js';
import { circuitPower, powersFor, preparedPtauName, preparePhase2 } from './prepare-phase2.js';

const require = createRequire(import.meta.url);
// snarkjs exports only its library entry: its CLI sits at the package root.
const SNARKJS = join(dirname(require.resolve('snarkjs')), '..', 'cli.js');
const CIRCOM = join(dirname(require.resolve('circom2')), 'cli.js');
const LIBRARY = fileURLToPath(new URL('../circom/stoa.circom', import.meta.url));
const ZK_SOURCES = fileURLToPath(new URL('../../contracts/src/zk/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A fixed public beacon: the ceremony is reproducible (and therefore for development only). */
const BEACON = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const BEACON_ITERATIONS_EXP = 10;

const started = Date.now();
const step = (what: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
const run = (file: string, args: string[], cwd = CACHE_DIR) =>
  execFileSync(process.execPath, [file, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const snarkjs = (...args: string[]) => run(SNARKJS, args);

mkdirSync(CACHE_DIR, { recursive: true });
mkdirSync(ARTIFACTS_DIR, { recursive: true });
mkdirSync(ZK_SOURCES, { recursive: true });
// circom2 runs under WASI and sees only its working directory: the library sits beside the mains.
copyFileSync(LIBRARY, `${CACHE_DIR}stoa.circom`);

const circuits = distinctCircuits([importMnistModel('cnn').model]);
const compiled: ManifestCircuit[] = [];
/** Each circuit's output signals: with its public inputs, they size `zkey new`'s domain. */
const outputs = new Map<string, number>();
for (const circuit of circuits) {
  step(`compile ${circuit.name} = ${circuit.template}`);
  writeFileSync(
    `${CACHE_DIR}${circuit.name}.circom`,
    `pragma circom 2.1.0;\ninclude "stoa.circom";\ncomponent main {public [inPacked, outPacked]} = ${circuit.template};\n`,
  );
  run(CIRCOM, [`${circuit.name}.circom`, '--r1cs', '--wasm', '-o', '.']);
  copyFileSync(`${CACHE_DIR}${circuit.name}_js/${circuit.name}.wasm`, `${ARTIFACTS_DIR}${circuit.name}.wasm`);
  const size = await circuitSize(`${CACHE_DIR}${circuit.name}.r1cs`);
  compiled.push({
    name: circuit.name,
    template: circuit.template,
    blockParam: circuit.blockParam,
    constraints: size.constraints,
    publicSignals: size.publicSignals,
    wires: size.wires,
  });
  outputs.set(circuit.name, size.outputs);
}

// Groth16 needs a domain of at least constraints + public inputs + 1.
const needed = Math.max(...compiled.map((c) => c.constraints + c.publicSignals + 1));
const power = Math.max(8, Math.ceil(Math.log2(needed)));
// `prepare phase2` dominates the build: only the domain sizes these circuits use are prepared.
const powers = powersFor(
  compiled.map((c) => circuitPower(c.constraints, c.publicSignals + outputs.get(c.name)!)),
);
const ptau = existsSync(`${CACHE_DIR}pot${power}_final.ptau`)
  ? `pot${power}_final.ptau` // every power, from a build before the prepared powers were chosen
  : preparedPtauName(power, powers);
if (existsSync(`${CACHE_DIR}${ptau}`)) {
  step(`ceremony: reusing .cache/${ptau}`);
} else {
  step(`ceremony: powers of tau 2^${power}, prepared at 2^(${powers.tauG1.join(', ')}) (the slow part)`);
  snarkjs('powersoftau', 'new', 'bn128', String(power), `pot${power}_0.ptau`);
  snarkjs(
    'powersoftau',
    'beacon',
    `pot${power}_0.ptau`,
    `pot${power}_beacon.ptau`,
    BEACON,
    String(BEACON_ITERATIONS_EXP),
  );
  await preparePhase2(`${CACHE_DIR}pot${power}_beacon.ptau`, `${CACHE_DIR}${ptau}.tmp`, powers, {
    beacon: { hash: BEACON, iterationsExp: BEACON_ITERATIONS_EXP },
  });
  renameSync(`${CACHE_DIR}${ptau}.tmp`, `${CACHE_DIR}${ptau}`);
}

for (const circuit of compiled) {
  step(`setup ${circuit.name} (${circuit.constraints} constraints, ${circuit.publicSignals} public signals)`);
  // `circuits:ensure` counts a key as built once its file exists: buildKey renames it into place whole.
  const verifier = await buildKey(
    {
      r1cs: `${CACHE_DIR}${circuit.name}.r1cs`,
      ptau: `${CACHE_DIR}${ptau}`,
      initialZkey: `${CACHE_DIR}${circuit.name}_0.zkey`,
      zkey: `${CACHE_DIR}${circuit.name}.zkey`,
      vkey: `${ARTIFACTS_DIR}${circuit.name}.vkey.json`,
    },
    { hash: BEACON, iterationsExp: BEACON_ITERATIONS_EXP, name: 'stoa-dev' },
  );
  const source = verifier
    .replace(
      'contract Groth16Verifier',
      `/// @notice Groth16 verifier of circuit ${circuit.name} = ${circuit.template} (circuits/, generated by \`npm run circuits:build\`).\ncontract ${circuit.name}Verifier`,
    )
    .replace(/pragma solidity >=0\.7\.0 <0\.9\.0;/, 'pragma solidity ^0.8.24;');
  replaceIfChanged(`${ZK_SOURCES}${circuit.name}Verifier.sol`, source);
}
await releaseCurve();

/**
 * `npm test` runs this build beside tests that compile contracts/src: an unchanged verifier is left
 * alone and a changed one replaced by rename, so no compiler reads it half-written.
 */
function replaceIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

const manifest: Manifest = {
  ceremony: { power, beacon: BEACON, iterationsExp: BEACON_ITERATIONS_EXP },
  circuits: compiled,
};
writeFileSync(`${ARTIFACTS_DIR}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
// The repository's formatter owns JSON layout: keep the committed keys in its form.
execFileSync('npx', ['biome', 'format', '--write', ARTIFACTS_DIR], { cwd: ROOT, stdio: 'ignore' });
step('contracts: npm run contracts:compile');
execFileSync('npm', ['run', 'contracts:compile'], { cwd: ROOT, stdio: 'inherit' });
step('done');

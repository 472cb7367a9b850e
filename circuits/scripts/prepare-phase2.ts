/**
 * `snarkjs powersoftau prepare phase2` for only the domain sizes the circuits use. snarkjs computes
 * the Lagrange-basis points of every power 0..2^power (a group IFFT per power and section: scalar
 * multiplications by twiddle factors), but `groth16 setup` (`zkey new`) reads only those of its
 * circuit's domain 2^k: sections 12-15 at power k, and section 12 (τ·G1) also at power k + 1 for
 * the H points. Each power computed here is computed by the same ffjavascript call snarkjs makes,
 * so its bytes are snarkjs's; the powers no circuit reads are left as zeros. The file therefore
 * serves exactly the circuits it was made for, and its name lists its powers
 * (`preparedPtauName`), so a circuit of another size never reads a zeroed power.
 */
import { createHash } from 'node:crypto';
import {
  type BinFile,
  copySection,
  createBinFile,
  endWriteSection,
  readBinFile,
  readSection,
  type Sections,
  startWriteSection,
} from '@iden3/binfileutils';
import { buildBn128, ChaCha, type Curve, type CurveField } from 'ffjavascript';

/** The powers of sections 12-15 (`lagrange`) and the extra ones of section 12 (`tauG1`) that `zkey new` reads. */
export interface PreparedPowers {
  readonly lagrange: readonly number[];
  readonly tauG1: readonly number[];
}

/** `zkey new`'s domain power of a circuit: log2(constraints + public inputs + outputs) + 1, as snarkjs computes it. */
export const circuitPower = (constraints: number, publicSignals: number) =>
  Math.floor(Math.log2(constraints + publicSignals)) + 1;

export function powersFor(circuitPowers: readonly number[]): PreparedPowers {
  const lagrange = [...new Set(circuitPowers)].sort((a, b) => a - b);
  const tauG1 = [...new Set([...lagrange, ...lagrange.map((p) => p + 1)])].sort((a, b) => a - b);
  return { lagrange, tauG1 };
}

export const preparedPtauName = (power: number, powers: PreparedPowers) =>
  `pot${power}_prepared_${powers.tauG1.join('-')}.ptau`;

/** ptau section ids (snarkjs's layout): the powers of τ, and their Lagrange forms written by prepare. */
const SECTIONS = [
  { from: 2, to: 12, group: 'G1', name: 'tauG1' },
  { from: 3, to: 13, group: 'G2', name: 'tauG2' },
  { from: 4, to: 14, group: 'G1', name: 'alphaTauG1' },
  { from: 5, to: 15, group: 'G1', name: 'betaTauG1' },
] as const;

/** The beacon that made a ceremony's only contribution (`snarkjs powersoftau beacon <hash> <iterationsExp>`). */
export interface Beacon {
  /** Hex, as given to snarkjs. */
  readonly hash: string;
  readonly iterationsExp: number;
}

export interface PrepareOptions {
  readonly log?: (line: string) => void;
  /**
   * When the input is `powersoftau new` followed by this one beacon, τ, α and β are public (the
   * beacon fixes them), and each Lagrange point L·G is computed as (the scalar IFFT of τ^j)·G: one
   * fixed-base multiplication a point instead of a group IFFT (n·log n of them). The points equal
   * the group IFFT's exactly, because the IFFT is linear; the key is checked against the file's own
   * τ·G1, τ·G2, α·G1 and β·G1 before it is used.
   */
  readonly beacon?: Beacon;
}

export async function preparePhase2(
  inPath: string,
  outPath: string,
  powers: PreparedPowers,
  { log = () => {}, beacon }: PrepareOptions = {},
): Promise<void> {
  const curve = await buildBn128();
  const { fd: input, sections } = await readBinFile(inPath, 'ptau', 1);
  const output = await createBinFile(outPath, 'ptau', 1, 11);
  try {
    // Section 1 is the header (n8, q in n8 bytes, power, ceremony power): unchanged by prepare.
    const header = new DataView((await readSection(input, sections, 1)).slice().buffer);
    const power = header.getUint32(4 + header.getUint32(0, true), true);
    const key = beacon ? await checkedBeaconKey(curve, beacon, input, sections) : undefined;
    for (let id = 1; id <= 7; id++) await copySection(input, sections, output, id);
    for (const section of SECTIONS) {
      const G = curve[section.group];
      const pointSize = G.F.n8 * 2;
      const wanted = new Set(section.from === 2 ? powers.tauG1 : powers.lagrange);
      const last = section.from === 2 ? power + 1 : power;
      await startWriteSection(output, section.to);
      for (let p = 0; p <= last; p++) {
        const points = 2 ** p;
        if (!wanted.has(p)) {
          await output.write(new Uint8Array(points * pointSize));
          continue;
        }
        log(`${section.name}: power ${p}`);
        // Section 2 holds 2^(power+1) - 1 points: its largest form ends with the point at infinity.
        const available = Math.min(points, section.from === 2 ? 2 ** (power + 1) - 1 : 2 ** power);
        if (key) {
          await output.write(await lagrangeFromKey(curve, section, key, points, available));
          continue;
        }
        const buffer = new Uint8Array(points * pointSize);
        buffer.set(await readSection(input, sections, section.from, 0, available * pointSize));
        if (available < points) buffer.set(G.zeroAffine, available * pointSize);
        await output.write(await G.lagrangeEvaluations(buffer, 'affine', 'affine'));
      }
      await endWriteSection(output);
    }
  } finally {
    await input.close();
    await output.close();
    await curve.terminate();
  }
}

/** τ, α, β as Fr elements (the wasm field's representation, as snarkjs holds them). */
interface CeremonyKey {
  readonly tau: Uint8Array;
  readonly alpha: Uint8Array;
  readonly beta: Uint8Array;
}

/**
 * snarkjs's beacon key: the beacon hashed 2^iterationsExp times with SHA-256 seeds a ChaCha
 * stream, and τ, α, β are its first three field elements (`rngFromBeaconParams`,
 * `createPTauKey`); the challenge hash only enters the public key's proofs, not the scalars.
 */
function beaconKey(Fr: CurveField, beacon: Beacon): CeremonyKey {
  if (!/^([0-9a-fA-F]{2})+$/.test(beacon.hash))
    throw new Error(`beacon hash "${beacon.hash}" is not hex bytes`);
  if (!Number.isInteger(beacon.iterationsExp) || beacon.iterationsExp < 0 || beacon.iterationsExp >= 32)
    throw new Error(`beacon iterationsExp ${beacon.iterationsExp} is not an integer in 0..31`);
  let hash: Buffer = Buffer.from(beacon.hash, 'hex');
  for (let i = 0; i < 2 ** beacon.iterationsExp; i++) hash = createHash('sha256').update(hash).digest();
  const rng = new ChaCha(Array.from({ length: 8 }, (_, i) => hash.readUInt32BE(i * 4)));
  return { tau: Fr.fromRng(rng), alpha: Fr.fromRng(rng), beta: Fr.fromRng(rng) };
}

/** The beacon's key, refused unless it is the one that made this file's points. */
async function checkedBeaconKey(curve: Curve, beacon: Beacon, input: BinFile, sections: Sections) {
  const key = beaconKey(curve.Fr, beacon);
  const checks = [
    { section: 2, index: 1, G: curve.G1, scalar: key.tau, name: 'τ·G1' },
    { section: 3, index: 1, G: curve.G2, scalar: key.tau, name: 'τ·G2' },
    { section: 4, index: 0, G: curve.G1, scalar: key.alpha, name: 'α·G1' },
    { section: 5, index: 0, G: curve.G1, scalar: key.beta, name: 'β·G1' },
  ];
  for (const { section, index, G, scalar, name } of checks) {
    const size = G.F.n8 * 2;
    const inFile = await readSection(input, sections, section, index * size, size);
    const computed = new Uint8Array(size);
    G.toRprLEM(computed, 0, G.toAffine(G.timesFr(G.g, scalar)));
    if (!Buffer.from(computed).equals(Buffer.from(inFile)))
      throw new Error(
        `prepare phase2: the ceremony's ${name} is not the beacon ${beacon.hash} (2^${beacon.iterationsExp}) key's: the file has another contribution; prepare it without the beacon`,
      );
  }
  return key;
}

/**
 * One section's Lagrange points at one power from the key: the scalars first·τ^j (j < available,
 * zero beyond, as the group IFFT's input is padded), inverse-transformed by the same ffjavascript
 * IFFT in Fr, each times the generator.
 */
async function lagrangeFromKey(
  curve: Curve,
  section: (typeof SECTIONS)[number],
  key: CeremonyKey,
  points: number,
  available: number,
): Promise<Uint8Array> {
  const { Fr } = curve;
  const G = curve[section.group];
  const first = section.from === 4 ? key.alpha : section.from === 5 ? key.beta : Fr.one;
  const scalars = new Uint8Array(points * Fr.n8);
  let term = first;
  for (let j = 0; j < available; j++) {
    scalars.set(term, j * Fr.n8);
    term = Fr.mul(term, key.tau);
  }
  const lagrange = await Fr.ifft(scalars);
  const pointSize = G.F.n8 * 2;
  const out = new Uint8Array(points * pointSize);
  for (let i = 0; i < points; i++)
    G.toRprLEM(out, i * pointSize, G.toAffine(G.timesFr(G.g, lagrange.subarray(i * Fr.n8, (i + 1) * Fr.n8))));
  return out;
}

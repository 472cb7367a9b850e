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
import {
  copySection,
  createBinFile,
  endWriteSection,
  readBinFile,
  readSection,
  startWriteSection,
} from '@iden3/binfileutils';
import { buildBn128 } from 'ffjavascript';

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

export async function preparePhase2(
  inPath: string,
  outPath: string,
  powers: PreparedPowers,
  log: (line: string) => void = () => {},
): Promise<void> {
  const curve = await buildBn128();
  const { fd: input, sections } = await readBinFile(inPath, 'ptau', 1);
  const output = await createBinFile(outPath, 'ptau', 1, 11);
  try {
    // Section 1 is the header (n8, q in n8 bytes, power, ceremony power): unchanged by prepare.
    const header = new DataView((await readSection(input, sections, 1)).slice().buffer);
    const power = header.getUint32(4 + header.getUint32(0, true), true);
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

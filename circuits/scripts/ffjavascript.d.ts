// The parts of ffjavascript 0.3.1 and @iden3/binfileutils 0.0.12 (untyped JavaScript, snarkjs's
// own dependencies) that circuits/scripts/prepare-phase2.ts calls.
declare module 'ffjavascript' {
  /** A point or a field element in the wasm engine's representation (Montgomery form). */
  export type Element = Uint8Array;
  export interface CurveGroup {
    readonly F: { readonly n8: number };
    readonly zeroAffine: Uint8Array;
    /** The generator. */
    readonly g: Element;
    lagrangeEvaluations(points: Uint8Array, inType: 'affine', outType: 'affine'): Promise<Uint8Array>;
    timesFr(point: Element, scalar: Element): Element;
    toAffine(point: Element): Element;
    toRprLEM(into: Uint8Array, offset: number, point: Element): void;
  }
  export interface CurveField {
    readonly n8: number;
    readonly one: Element;
    fromRng(rng: ChaCha): Element;
    mul(a: Element, b: Element): Element;
    ifft(elements: Uint8Array): Promise<Uint8Array>;
  }
  export interface Curve {
    readonly G1: CurveGroup;
    readonly G2: CurveGroup;
    readonly Fr: CurveField;
    terminate(): Promise<void>;
  }
  export class ChaCha {
    constructor(seed: number[]);
  }
  export function buildBn128(singleThread?: boolean): Promise<Curve>;
}

declare module '@iden3/binfileutils' {
  export interface BinFile {
    write(bytes: Uint8Array): Promise<void>;
    close(): Promise<void>;
  }
  export type Sections = Record<number, { p: number; size: number }[]>;
  export function readBinFile(
    path: string,
    type: string,
    maxVersion: number,
  ): Promise<{ fd: BinFile; sections: Sections }>;
  export function createBinFile(
    path: string,
    type: string,
    version: number,
    nSections: number,
  ): Promise<BinFile>;
  export function readSection(
    fd: BinFile,
    sections: Sections,
    id: number,
    offset?: number,
    length?: number,
  ): Promise<Uint8Array>;
  export function copySection(from: BinFile, sections: Sections, to: BinFile, id: number): Promise<void>;
  export function startWriteSection(fd: BinFile, id: number): Promise<void>;
  export function endWriteSection(fd: BinFile): Promise<void>;
}

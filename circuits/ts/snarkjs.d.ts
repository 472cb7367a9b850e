// The parts of snarkjs 0.7.6 (untyped JavaScript) that Stoa calls.
declare module 'snarkjs' {
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type SignalInput = Record<string, string | string[]>;
  export const groth16: {
    fullProve(
      input: SignalInput,
      wasm: string | { type: 'mem'; data: Uint8Array },
      zkey: string | { type: 'mem'; data: Uint8Array },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: readonly string[], proof: Groth16Proof): Promise<boolean>;
  };
  export const wtns: {
    calculate(
      input: SignalInput,
      wasm: string | { type: 'mem'; data: Uint8Array },
      out: { type: 'mem' },
    ): Promise<void>;
  };
  /** Used by circuits/scripts/build.ts: the CLI's steps, run in one process (one curve, one thread pool). */
  export const r1cs: {
    info(
      path: string,
    ): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number; nVars: number }>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string): Promise<unknown>;
    /** numIterationsExp as the CLI passes it: a string. */
    beacon(
      oldZkey: string,
      newZkey: string,
      name: string,
      beaconHash: string,
      numIterationsExp: string,
    ): Promise<unknown>;
    exportVerificationKey(zkey: string): Promise<unknown>;
    exportSolidityVerifier(zkey: string, templates: { groth16: string }): Promise<string>;
  };
}

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
}

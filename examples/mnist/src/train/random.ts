/** Deterministic uniform [0, 1) generator (mulberry32); the only source of randomness in training. */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample via Box-Muller. */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1], keeps log finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** He (Kaiming) normal init, suited to layers followed by ReLU. */
export function heNormal(random: Random, count: number, fanIn: number): Float32Array {
  const std = Math.sqrt(2 / fanIn);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = normal(random) * std;
  return values;
}

export function shuffleInPlace(values: Uint32Array, random: Random): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The order of secp256k1's group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** One precomputed ECDSA nonce: r = x(k·G), k⁻¹ mod n, and the parity of y(k·G). */
export interface PrecomputedNonce {
  readonly r: bigint;
  readonly kInverse: bigint;
  readonly yOdd: boolean;
}

const TUPLE_BYTES = 65; // r ‖ k⁻¹ ‖ parity

/**
 * The worker, as plain CommonJS source so that it runs the same under tsx, vitest and node.
 * k comes from the CSPRNG, rejection-sampled into [1, n); k·G is libsecp256k1's
 * `publicKeyCreate` (constant time); the inverses of a whole batch cost one modular inverse
 * (Montgomery's trick). k itself never leaves the worker; k⁻¹ is as secret and is sent once.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const secp256k1 = require(workerData.secp256k1);
const N = ${SECP256K1_N}n;
const big = (bytes) => BigInt('0x' + Buffer.from(bytes).toString('hex'));
const word = (value) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
function inverse(a) {
  let [r0, r1, s0, s1] = [a, N, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % N) + N) % N;
}
parentPort.on('message', (count) => {
  const ks = [];
  const out = new Uint8Array(count * ${TUPLE_BYTES});
  while (ks.length < count) {
    const k = randomBytes(32);
    const kn = big(k);
    if (kn === 0n || kn >= N) continue;
    const point = secp256k1.publicKeyCreate(k, true);
    k.fill(0);
    if (big(point.subarray(1)) >= N) continue; // r would wrap past n (recovery ids 2 and 3)
    out.set(point.subarray(1), ks.length * ${TUPLE_BYTES});
    out[ks.length * ${TUPLE_BYTES} + 64] = point[0] & 1;
    ks.push(kn);
  }
  const prefix = [1n];
  for (const k of ks) prefix.push((prefix[prefix.length - 1] * k) % N);
  let running = inverse(prefix[ks.length]);
  for (let i = ks.length - 1; i >= 0; i--) {
    out.set(word((running * prefix[i]) % N), i * ${TUPLE_BYTES} + 32);
    running = (running * ks[i]) % N;
  }
  parentPort.postMessage(out, [out.buffer]);
});
`;

const wordOf = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

/**
 * ECDSA nonces computed ahead of time on a worker thread, so that signing on the request path
 * is two modular multiplications. Each nonce is handed out once and wiped; `take` returns
 * undefined when the pool runs dry (the caller then signs the ordinary way), and the pool
 * refills itself below half of `size`.
 */
export class NoncePool {
  private readonly batches: Uint8Array[] = [];
  private offset = 0;
  private count = 0;
  private requested = false;
  private onBatch?: () => void;

  private constructor(
    private readonly worker: Worker,
    private readonly size: number,
  ) {
    worker.on('message', (batch: Uint8Array) => {
      this.batches.push(new Uint8Array(batch));
      this.count += batch.length / TUPLE_BYTES;
      this.requested = false;
      this.onBatch?.();
      this.refill();
    });
  }

  /** Starts the worker and waits for its first batch. */
  static async open(size = 512): Promise<NoncePool> {
    const secp256k1 = createRequire(import.meta.url).resolve('secp256k1');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { secp256k1 } });
    const pool = new NoncePool(worker, size);
    await new Promise<void>((resolve, reject) => {
      pool.onBatch = resolve;
      worker.once('error', reject);
      pool.refill();
    });
    pool.onBatch = undefined;
    worker.unref(); // from now on it never keeps a process alive
    return pool;
  }

  /** Nonces ready to hand out. */
  get available(): number {
    return this.count;
  }

  take(): PrecomputedNonce | undefined {
    const batch = this.batches[0];
    if (!batch) {
      this.refill();
      return undefined;
    }
    const at = this.offset;
    const nonce = {
      r: wordOf(batch.subarray(at, at + 32)),
      kInverse: wordOf(batch.subarray(at + 32, at + 64)),
      yOdd: batch[at + 64] === 1,
    };
    batch.fill(0, at, at + TUPLE_BYTES); // used once: wiped
    this.count--;
    this.offset += TUPLE_BYTES;
    if (this.offset === batch.length) {
      this.batches.shift();
      this.offset = 0;
    }
    this.refill();
    return nonce;
  }

  async close(): Promise<void> {
    for (const batch of this.batches) batch.fill(0);
    this.batches.length = 0;
    this.count = 0;
    await this.worker.terminate();
  }

  private refill(): void {
    if (this.requested || this.count >= this.size / 2) return;
    this.requested = true;
    this.worker.postMessage(Math.ceil(this.size / 2));
  }
}

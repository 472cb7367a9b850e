import {
  boundaryDigest,
  createReceiptSigner,
  type HotPathBackend,
  type IntTensor,
  type Model,
  makeReceipt,
  modelId,
  type SignedReceipt,
  tensorDigest,
} from '@stoa/ir';

// A well-known anvil development key: never holds value.
const BENCH_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
// Nonces precomputed on a worker thread: signing on the hot path is two modular multiplications
// (STOA_BENCH_NONCES=rfc6979 measures the deterministic signer instead).
const signer = await createReceiptSigner(
  BENCH_KEY,
  { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
  { nonces: process.env.STOA_BENCH_NONCES === 'rfc6979' ? 'rfc6979' : 'precomputed' },
);
const NO_TRACE = new Uint8Array(32);

const digestOf = (tensors: readonly IntTensor[]) =>
  boundaryDigest(tensors.map((t) => tensorDigest(t.dtype, t.data)));

/**
 * What the hot path costs once traces are built on demand (issue #14, direction 1): exact
 * inference on the hot-path backend, the input and output digests and a signed EIP-712 receipt
 * binding them. The trace root is left zero: under the current protocol a node still signs a
 * traced receipt, so this measures the cost the hot path reaches when that protocol lands.
 */
export async function hotPathReceipt(
  model: Model,
  backend: HotPathBackend,
  inputs: IntTensor[],
  nonce: bigint,
): Promise<{ outputs: IntTensor[]; receipt: SignedReceipt }> {
  // onnxruntime runs off the main thread: digest the inputs meanwhile.
  const running = backend.run(inputs);
  const inputDigest = digestOf(inputs);
  const outputs = await running;
  const receipt = signer.sign(
    makeReceipt(
      {
        modelId: modelId(model),
        inputDigest,
        outputDigest: digestOf(outputs),
        traceRoot: NO_TRACE,
        steps: model.schedule.length,
      },
      signer.address,
      nonce,
    ),
  );
  return { outputs, receipt };
}

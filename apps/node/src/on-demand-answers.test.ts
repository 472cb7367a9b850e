import type { IntTensor, SignedReceipt } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { type Answered, preparedWhileCommitting } from './on-demand-answers.js';

const answer = (n: number): Answered => ({
  receipt: { nonce: BigInt(n) } as unknown as SignedReceipt,
  outputs: [{ dtype: 'i32', shape: [1], data: Int32Array.of(n) } satisfies IntTensor],
});

/** A commit the test settles by hand. */
function pendingCommit() {
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const committed = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return { committed, settle };
}

describe('answers prepared while the journal commits', () => {
  it('prepares every answer before the commit ends, and hands them back only after it', async () => {
    const { committed, settle } = pendingCommit();
    const prepared: number[] = [];
    let handedBack = false;
    const result = preparedWhileCommitting([answer(1), answer(2)], committed, (a) => {
      prepared.push(Number(a.receipt.nonce));
      return `answer ${a.receipt.nonce}`;
    }).then((answers) => {
      handedBack = true;
      return answers;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(prepared).toEqual([1, 2]);
    expect(handedBack).toBe(false);
    settle.resolve();
    const answers = await result;
    expect(answers.map((a) => a.prepared)).toEqual(['answer 1', 'answer 2']);
    expect(answers[1]!.outputs[0]!.data).toEqual(Int32Array.of(2));
  });

  it('fails with the commit’s error, even one raised before the answers are prepared', async () => {
    const { committed, settle } = pendingCommit();
    settle.reject(new Error('disk full'));
    await expect(preparedWhileCommitting([answer(1)], committed, () => 'x')).rejects.toThrow('disk full');
  });

  it('fails with the error of a prepare that throws', async () => {
    const { committed, settle } = pendingCommit();
    const result = preparedWhileCommitting([answer(1)], committed, () => {
      throw new Error('cannot serialize');
    });
    settle.resolve();
    await expect(result).rejects.toThrow('cannot serialize');
  });
});

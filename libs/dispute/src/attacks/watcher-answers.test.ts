/**
 * Finding 6 of issue 18: a watcher that could not get a receipt's inputs called it
 * "unverifiable" and moved on; the served receipt list was never checked against the claim's
 * root or count; one bad answer stopped the watcher for good. Now every answer — missing,
 * failing, slow, malformed, huge or not the claim's — is a finding, and the watcher escalates
 * on chain (reveal or lose): a node that does not reveal is slashed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bondedOf,
  claimRegistryArtifact,
  type GameFixture,
  type LocalChain,
  modelCommitments,
  postClaim,
  startAnvil,
} from '@stoa/contracts';
import type { IntTensor, SignedReceipt } from '@stoa/ir';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimSource, Watcher } from '../watcher.js';
import { anvilAccount, honestReceipt, smallGame } from './helpers.js';

const node = anvilAccount(1);
const watcherAccount = anvilAccount(2);

let chain: LocalChain;
let f: GameFixture;
let dir: string;

beforeAll(async () => {
  chain = await startAnvil();
  f = await smallGame(chain, node);
  dir = await mkdtemp(join(tmpdir(), 'stoa-watcher-answers-'));
});
afterAll(async () => {
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Answer = (claimId: bigint) => Promise<readonly SignedReceipt[] | undefined>;

describe('a watcher against a node that answers badly (issue 18, finding 6)', () => {
  it('survives missing, failing, slow, malformed, huge and inconsistent answers, and gets the node slashed', async () => {
    const served = new Map<bigint, SignedReceipt[]>();
    const lists: Answer[] = [
      async () => undefined, // missing
      async () => {
        throw new Error('connection reset');
      },
      () => new Promise(() => {}), // never answers
      async () => [{ modelId: 'nonsense' }] as never, // malformed
      async () => Array.from({ length: 100_000 }, () => ({}) as never), // huge
      async (claimId) => [(await honestReceipt(f, 900n + claimId)).receipt], // not the claim's root
    ];
    const claims: bigint[] = [];
    for (let i = 0; i < lists.length; i++) {
      const { receipt } = await honestReceipt(f, BigInt(i + 1));
      const { claimId } = await postClaim(f, [receipt]);
      served.set(claimId, [receipt]);
      claims.push(claimId);
    }
    // One more claim whose list is right but whose inputs the node withholds.
    const { receipt } = await honestReceipt(f, 50n);
    const { claimId: withheld } = await postClaim(f, [receipt]);
    claims.push(withheld);
    const source: ClaimSource = {
      receipts: (claimId) =>
        claimId === withheld ? Promise.resolve([receipt]) : lists[claims.indexOf(claimId)]!(claimId),
      inputs: async (): Promise<IntTensor[] | undefined> => undefined,
    };
    const id = modelCommitments(f.model).modelId.toLowerCase();
    const watcher = await Watcher.open({
      client: f.h,
      account: watcherAccount,
      addresses: f.at,
      models: (m: Hex) => (m.toLowerCase() === id ? f.model : undefined),
      source,
      sampleRate: 1,
      seed: 'answers',
      dir,
      answerTimeoutMs: 300,
    });
    const stake = await bondedOf(f, node.address);
    for (let i = 0; i < 4; i++) await watcher.poll(); // retries, then demands
    const demands = (await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'demandCount')) as bigint;
    expect(demands).toBe(BigInt(claims.length));
    await f.h.advance(f.parameters.answerSeconds + 1n);
    await watcher.poll(); // every demand lapsed: the node is slashed for each

    for (const claimId of claims) {
      const claim = (await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'get', [claimId])) as {
        status: number;
      };
      expect(claim.status, `claim ${claimId}`).toBe(3); // Rejected
    }
    const slashes = BigInt(claims.length) * f.parameters.slashAmount;
    expect(await bondedOf(f, node.address)).toBe(stake > slashes ? stake - slashes : 0n);
    expect(watcher.report().claimsSeen).toBe(claims.length);
  });
});

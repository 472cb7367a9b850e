import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChainClient,
  claimRegistryArtifact,
  DEV_PARAMETERS,
  type ExecutionView,
  honestView,
  type LocalChain,
  startAnvil,
} from '@stoa/contracts';
import { generationReceiptFields, type Model, modelId, randomGraph, signReceipt, toHex } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Claimer } from './claimer.js';
import { NODE, TestNetwork } from './testing/network.js';
import { loadView } from './views.js';

let chain: LocalChain;
let model: Model;
let views: ExecutionView[];

beforeAll(async () => {
  chain = await startAnvil();
  const { model: m, inputs } = randomGraph(3);
  model = m;
  // Five different requests: the first input value set to 1..5.
  views = await Promise.all(
    [1, 2, 3, 4, 5].map((k) =>
      honestView(
        model,
        inputs.map((t) => ({ ...t, data: t.data.map((v, i) => (i === 0 ? k : v)) })),
      ),
    ),
  );
});
afterAll(async () => {
  await chain?.stop();
});

/** A client whose `send` fails once for `fn`, before or after the transaction reaches the chain. */
function crashingOnce(client: ChainClient, fn: string, when: 'before' | 'after'): ChainClient {
  let armed = true;
  return {
    ...client,
    async send(account, address, abi, name, args, value) {
      if (armed && name === fn && when === 'before') {
        armed = false;
        throw new Error('killed before sending');
      }
      const sent = await client.send(account, address, abi, name, args, value);
      if (armed && name === fn) {
        armed = false;
        throw new Error('killed after sending');
      }
      return sent;
    },
  };
}

async function claimsOnChain(net: TestNetwork): Promise<bigint[]> {
  const logs = (await net.client.reader.getContractEvents({
    address: net.fixture.at.claimRegistry,
    abi: claimRegistryArtifact.abi,
    eventName: 'ClaimPosted',
    fromBlock: 0n,
  } as never)) as unknown as { args: { claimId: bigint; receipts: number } }[];
  return logs.map((l) => BigInt(l.args.receipts));
}

/** Claimer options that post only when told to (batches of 10, an hour-long age limit). */
const unhurriedOptions = (net: TestNetwork, dir: string) => ({
  dir,
  client: net.client,
  account: NODE,
  addresses: net.fixture.at,
  batchSize: 10,
  maxBatchAgeMs: 60_000,
  postInline: false,
});

describe('Claimer', () => {
  it('posts a claim when a batch is full, and another when the oldest receipt is old enough; prunes the inputs of finalized claims', async () => {
    const net = await TestNetwork.start(chain, model);
    const dir = await mkdtemp(join(tmpdir(), 'stoa-claimer-'));
    let now = 0;
    try {
      const options = {
        dir,
        client: net.client,
        account: NODE,
        addresses: net.fixture.at,
        batchSize: 3,
        maxBatchAgeMs: 1000,
      };
      const claimer = await Claimer.open({
        ...options,
        now: () => now,
        models: () => model,
        compactAfterChars: 1, // rewrite the journal as soon as any input is pruned
      });
      const receipts = [];
      for (const [i, view] of views.entries()) {
        const receipt = await net.answer(view, BigInt(i + 1)); // via the network's own claimer
        receipts.push(receipt);
        await claimer.add(receipt, view);
      }
      await claimer.add(receipts[0]!, views[0]!); // adding twice changes nothing
      expect(await claimsOnChain(net)).toEqual([3n]);
      expect(claimer.pending).toHaveLength(2);
      now = 999;
      await claimer.tick();
      expect(await claimsOnChain(net)).toEqual([3n]);
      now = 1000;
      await claimer.tick();
      expect(await claimsOnChain(net)).toEqual([3n, 2n]);
      expect(claimer.pending).toHaveLength(0);
      expect(claimer.batches().map((b) => b.receipts.length)).toEqual([3, 2]);

      // Windows close with no dispute: both claims finalize and their traces are released.
      expect(claimer.traces.keys()).toHaveLength(5);
      const journal = join(dir, 'claims.jsonl');
      expect((await readFile(journal, 'utf8')).match(/"inputs":/g)).toHaveLength(5);
      for (const r of receipts) expect(claimer.inputsOfExecution(r.traceRoot)).toBeDefined();
      await net.client.advance(DEV_PARAMETERS.challengeWindow);
      await claimer.tick();
      expect(claimer.batches().map((b) => b.status)).toEqual(['finalized', 'finalized']);
      expect(claimer.traces.keys()).toHaveLength(0);
      // ... and their journaled inputs, in memory and (compacted) in the file.
      for (const r of receipts) {
        expect(claimer.inputsOfExecution(r.traceRoot)).toBeUndefined();
        expect(claimer.inputsOfReceipt(r)).toBeUndefined();
      }
      expect(await readFile(journal, 'utf8')).not.toMatch(/"inputs":/);
      await claimer.close();
      const reopened = await Claimer.open(options);
      expect(reopened.batches().map((b) => [b.status, b.receipts.length])).toEqual([
        ['finalized', 3],
        ['finalized', 2],
      ]);
      await expect(claimer.add(receipts[0]!, views[0]!)).resolves.toBeUndefined(); // known: no append
    } finally {
      await rm(dir, { recursive: true, force: true });
      await net.stop();
    }
  });

  for (const when of ['before', 'after'] as const) {
    it(`loses no receipt and posts no claim twice when killed ${when} a claim reaches the chain`, async () => {
      const net = await TestNetwork.start(chain, model);
      const dir = await mkdtemp(join(tmpdir(), 'stoa-claimer-'));
      try {
        const options = {
          dir,
          account: NODE,
          addresses: net.fixture.at,
          batchSize: 2,
          maxBatchAgeMs: 60_000,
        };
        const dying = await Claimer.open({ ...options, client: crashingOnce(net.client, 'post', when) });
        const first = await net.answer(views[0]!, 1n);
        await dying.add(first, views[0]!);
        await expect(dying.add(await net.answer(views[1]!, 2n), views[1]!)).rejects.toThrow(/killed/);
        await dying.add(await net.answer(views[2]!, 3n), views[2]!).catch(() => {});

        const reopened = await Claimer.open({ ...options, client: net.client });
        await reopened.flush();
        // Every receipt ended in exactly one claim on chain.
        expect(await claimsOnChain(net)).toEqual([2n, 1n]);
        expect(reopened.batches().map((b) => b.status)).toEqual(['posted', 'posted']);
        expect(reopened.batches().flatMap((b) => b.receipts.map((r) => r.nonce))).toEqual([1n, 2n, 3n]);
        expect(reopened.pending).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await net.stop();
      }
    });
  }

  it('rebuilds, from the journaled inputs, traces a crash kept from reaching the store', async () => {
    const net = await TestNetwork.start(chain, model);
    const dir = await mkdtemp(join(tmpdir(), 'stoa-claimer-'));
    try {
      const options = unhurriedOptions(net, dir);
      const dying = await Claimer.open(options);
      const receipts = [];
      for (const [i, view] of views.slice(0, 3).entries()) {
        receipts.push(await net.answer(view, BigInt(i + 1)));
        await dying.add(receipts[i]!, view); // resolves once journaled, trace or not
      }
      await dying.flush(); // posts a claim for the first three (their traces are stored first)
      const fourth = await net.answer(views[3]!, 4n);
      await dying.add(fourth, views[3]!);
      // Its trace is stored behind the journal write: let that land first, or it could land after
      // the deletion below (CI saw it under load) and leave nothing to rebuild.
      const fourthKey = fourth.traceRoot.slice(2).toLowerCase();
      for (let waited = 0; !dying.traces.has(fourthKey) && waited < 10_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      // The process dies before any trace reaches the disk: every trace file is gone.
      for (const name of await readdir(join(dir, 'traces'))) await rm(join(dir, 'traces', name));

      await expect(Claimer.open(options)).rejects.toThrow(
        /trace of receipt 0x[0-9a-f]{64} \(nonce \d\) is missing from the store .*no model/,
      );
      const id = toHex(modelId(model)).toLowerCase();
      const reopened = await Claimer.open({
        ...options,
        models: (m) => (m.toLowerCase() === id ? model : undefined),
      });
      // The posted batch's traces (a dispute may need them) and the pending receipt's are back.
      for (const receipt of [...receipts, fourth]) {
        const view = await loadView(reopened.traces, receipt.traceRoot.slice(2), model);
        expect(toHex(view!.trace.traceRoot)).toBe(receipt.traceRoot);
      }
      await reopened.flush();
      expect(await claimsOnChain(net)).toEqual([3n, 1n]);
      expect(reopened.pending).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await net.stop();
    }
  });

  it('journals a generation receipt with what defends it, and reopens without a trace to rebuild', async () => {
    const net = await TestNetwork.start(chain, model);
    const dir = await mkdtemp(join(tmpdir(), 'stoa-claimer-'));
    try {
      const options = unhurriedOptions(net, dir);
      const claimer = await Claimer.open(options);
      const step = await net.answer(views[0]!, 1n); // journaled by the network's own claimer
      const steps = [
        { inputDigest: step.inputDigest, outputDigest: step.outputDigest, position: 0, token: 3 },
      ];
      const sampling = { temperatureMilli: 0, seed: 0n };
      const fields = generationReceiptFields(toHex(modelId(model)), [1, 2], sampling, steps);
      const domain = { chainId: net.fixture.at.chainId, verifyingContract: net.fixture.at.claimRegistry };
      const generation = await signReceipt({ ...fields, node: NODE.address, nonce: 2n }, NODE, domain);
      const kept = { promptTokens: [1, 2], tokens: [3], tokenSteps: steps };
      await claimer.add(generation, { generation: kept });
      await claimer.close();
      // No model given: a traced receipt without its trace would make this throw; a generation has none.
      const reopened = await Claimer.open(options);
      expect(reopened.generationOf(generation)).toEqual(kept);
      expect(reopened.generationOf(step)).toBeUndefined();
      await reopened.flush();
      expect(await claimsOnChain(net)).toEqual([1n]); // the generation receipt, claimed
    } finally {
      await rm(dir, { recursive: true, force: true });
      await net.stop();
    }
  });
});

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { claimRegistryArtifact, receiptDomainOf } from '@stoa/contracts';
import { checkReceipt, type DisputePlayer, openChallenge } from '@stoa/dispute';
import { decodeModel, type IntTensor, type Model, type SignedReceipt } from '@stoa/ir';
import type { Hex } from 'viem';
import type { GatewayOptions } from '../options.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { NodeAnswer, WireReceipt } from '../routing/forward.js';
import { fetchInputs } from '../spot-check.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

const CLAIM_WAIT_MS = 10 * 60_000;
const models = new Map<string, Promise<Model>>();

/**
 * Two replicas disagreed: fetch the inputs, re-execute the model here (the executor every
 * challenger has) to tell which receipt is wrong, wait until that node's claim holding the
 * receipt is on chain, open a dispute on it and play the game to its end. Returns the dispute id,
 * or undefined when neither receipt is wrong (then the inputs differed and nobody lied).
 */
export async function disputeLiar(
  options: GatewayOptions,
  deployed: DeployedModel,
  answers: readonly NodeAnswer[],
  log: Log,
): Promise<{ disputeId: bigint; node: string } | undefined> {
  const { client, addresses } = options.chain;
  const domain = receiptDomainOf(addresses);
  const model = await modelOf(deployed);
  for (const answer of answers) {
    const receipt = toReceipt(answer.body.receipt!);
    const wire = await fetchInputs(answer.replica.url, answer.body.receipt!, answer.body.inputsToken);
    if (!wire) continue;
    const inputs = wire.map((t) => ({ ...t, data: Int32Array.from(t.data) })) as IntTensor[];
    const verdict = await checkReceipt(model, receipt, inputs, domain);
    if (verdict.ok || !verdict.view) continue;
    log('warn', 'spot check found a wrong receipt; disputing', {
      node: receipt.node,
      reason: verdict.reason,
    });
    const { claimId, receipts, index } = await claimHolding(options, answer.replica.url, receipt);
    const player = await openChallenge({
      client,
      account: options.challenger!,
      addresses,
      claimId,
      receipts,
      index,
      view: verdict.view,
    });
    log('info', 'dispute opened', { disputeId: String(player.options.disputeId), node: receipt.node });
    void playOut(player, log, 'dispute');
    return { disputeId: player.options.disputeId, node: receipt.node.toLowerCase() };
  }
  return undefined;
}

/**
 * Failed steps in a row a played dispute takes up again before it gives up. A guard, no longer
 * what makes games finish: the player itself re-reads and decides again when it loses a race
 * with the other side (libs/dispute, player.ts); what is left to retry is the transient (an RPC
 * hiccup, a dropped transaction), and a real error should surface after a few tries.
 */
const MAX_STEP_FAILURES = 5;

/**
 * Plays a dispute to the end, one step at a time while `keepGoing` (e.g. this instance still
 * holds the game's lease), waiting `pollMs` while the opponent thinks. Returns the outcome, or
 * undefined when it stopped or gave up (the game may go on; a player rebuilt later resumes it
 * from the chain).
 */
export async function playOut(
  player: Pick<DisputePlayer, 'step' | 'options'>,
  log: Log,
  what: string,
  options: { readonly pollMs?: number; readonly keepGoing?: () => Promise<boolean> } = {},
): Promise<{ readonly won: boolean } | undefined> {
  const disputeId = String(player.options.disputeId);
  for (let failures = 0; failures < MAX_STEP_FAILURES; ) {
    if (options.keepGoing && !(await options.keepGoing())) return undefined;
    try {
      const result = await player.step();
      failures = 0;
      if (result.kind === 'over') {
        log('info', `${what} over`, { disputeId, won: result.won });
        return { won: result.won };
      }
      if (result.kind === 'waiting') await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    } catch (error) {
      failures++;
      log('warn', `a move of a ${what} failed; retrying`, {
        disputeId,
        error: String((error as Error).message).split('\n')[0],
      });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  log('error', `gave up playing a ${what}`, { disputeId });
  return undefined;
}

/** Waits for the node's claim that holds `receipt` and returns its receipts and the index. */
export async function claimHolding(options: GatewayOptions, replicaUrl: string, receipt: SignedReceipt) {
  const { client, addresses } = options.chain;
  const deadline = Date.now() + CLAIM_WAIT_MS;
  const seen = new Set<bigint>();
  while (Date.now() < deadline) {
    const logs = (await client.reader.getContractEvents({
      address: addresses.claimRegistry,
      abi: claimRegistryArtifact.abi,
      eventName: 'ClaimPosted',
      args: { node: receipt.node },
      fromBlock: 0n,
    } as never)) as unknown as { args: { claimId: bigint } }[];
    for (const { args } of logs) {
      if (seen.has(args.claimId)) continue;
      const response = await fetch(`${replicaUrl}/v1/claims/${args.claimId}/receipts`);
      if (!response.ok) continue;
      seen.add(args.claimId);
      const receipts = ((await response.json()) as { receipts: WireReceipt[] }).receipts.map(toReceipt);
      const index = receipts.findIndex((r) => r.traceRoot === receipt.traceRoot && r.nonce === receipt.nonce);
      if (index >= 0) return { claimId: args.claimId, receipts, index };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `no claim of node ${receipt.node} holds receipt ${receipt.traceRoot} after ${CLAIM_WAIT_MS} ms`,
  );
}

export function modelOf(deployed: DeployedModel): Promise<Model> {
  let model = models.get(deployed.modelId);
  if (!model) {
    const url = deployed.artifactUrl;
    if (!url) throw new Error(`deployment ${deployed.deploymentId} has no artifact URL to re-execute from`);
    model = (
      /^https?:\/\//.test(url)
        ? fetch(url).then(async (r) => new Uint8Array(await r.arrayBuffer()))
        : readFile(url.startsWith('file://') ? fileURLToPath(url) : url).then((b) => new Uint8Array(b))
    ).then(decodeModel);
    models.set(deployed.modelId, model);
  }
  return model;
}

export const toReceipt = (r: WireReceipt): SignedReceipt => ({
  ...r,
  nonce: BigInt(r.nonce),
  node: r.node as Hex,
});

import { randomBytes } from 'node:crypto';
import {
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  emitted,
  feeEscrowArtifact,
  modelCommitments,
  modelRegistryArtifact,
  ReceiptBatch,
  receiptDigest,
  receiptDomainOf,
  registerArgs,
  type Settler,
  settleClaim,
  signVoucher,
  stakeManagerArtifact,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { fromHex, makeReceipt, type SignedReceipt, signReceipt } from '@stoa/ir';
import {
  devVoucherAccount,
  ensureDeploymentEscrow,
  type FeeReport,
  feeReconciliation,
  parseConfig,
  projectFeeReports,
  recordFeeEscrow,
} from '@stoa/sdk';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFeeSettling } from '../receipts/fee-settle-loop.js';
import { gatewayVouchers } from '../receipts/fee-settler.js';
import type { RunningGateway } from '../server.js';
import { DEV_KEYS, type Stack, startStack, TEST_MODEL_NAME } from './stack.js';

/** Requests of the run, set by `defineFeeReconciliation`. */
let requestCount = 0;
/** Clients sending at once: enough to keep the node's and the gateway's event loops busy. */
const CONCURRENCY = 16;
/** The node's claims: 10,000 requests make 20 claims, each settled in one transaction. */
const CLAIM_RECEIPTS = '500';
const PRICE = 10n ** 12n;
const owner = DEV_ACCOUNTS[0];
const watcher = DEV_ACCOUNTS[3]; // nodeC's key: no node of this stack uses it
const voucherKey = privateKeyToAccount(generatePrivateKey());
const claimsAbi = claimRegistryArtifact.abi;
const escrowAbi = feeEscrowArtifact.abi;

let stack: Stack;
let gateway: RunningGateway;
let settler: Settler;
let bodies: string[];

const setUp = async () => {
  const started = performance.now();
  const { model } = importMnistModel('mlp');
  const images = loadMnist('test').images;
  bodies = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ inputs: [Array.from(images.subarray(784 * i, 784 * (i + 1)))] }),
  );
  stack = await startStack(model, [
    {
      network: 'akash',
      key: DEV_KEYS.nodeA,
      env: { STOA_BATCH_SIZE: CLAIM_RECEIPTS, STOA_BATCH_MAX_AGE_MS: '3000' },
    },
  ]);
  const h = stack.deployment.client;
  const at = stack.deployment.at;
  const escrow = await h.deploy(owner, feeEscrowArtifact, [at.claimRegistry]);
  const budget = PRICE * BigInt(requestCount) * 2n;
  const opened = await h.send(
    owner,
    escrow,
    escrowAbi,
    'open',
    [stack.deployment.modelId, voucherKey.address, PRICE, budget],
    budget,
  );
  const escrowDeploymentId = emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint;
  await recordFeeEscrow(stack.db, stack.deploymentId, { address: escrow, deploymentId: escrowDeploymentId });
  const receiptDomain = receiptDomainOf(at);
  settler = { client: h, account: watcher, escrow, escrowDeploymentId, receiptDomain };
  gateway = await stack.startGateway({
    voucher: { account: voucherKey, escrow: { chainId: at.chainId, verifyingContract: escrow } },
  });
  console.error(
    `fees: stack, escrow and gateway up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
};

/**
 * Sends `requestCount` inferences through the gateway, CONCURRENCY at a time; returns how many
 * were answered (a 503 when no replica answers in time is metered as an error, never claimed).
 */
async function run(key: string): Promise<number> {
  let next = 0;
  let answered = 0;
  const worker = async () => {
    while (next < requestCount) {
      const i = next++;
      const response = await fetch(`${gateway.url}/v1/models/${TEST_MODEL_NAME}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: bodies[i % bodies.length],
      });
      const answer = (await response.json()) as { voucher?: Hex };
      if (response.status === 503) continue;
      expect(response.status).toBe(200);
      expect(answer.voucher).toMatch(/^0x[0-9a-f]{130}$/);
      answered++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return answered;
}

interface PostedClaim {
  readonly claimId: bigint;
  readonly node: Address;
  readonly receipts: number;
}

async function postedClaims(): Promise<PostedClaim[]> {
  const logs = await stack.deployment.client.reader.getContractEvents({
    address: stack.deployment.at.claimRegistry,
    abi: claimsAbi,
    eventName: 'ClaimPosted',
    fromBlock: 0n,
  });
  return logs.map((l) => {
    const args = l.args as { claimId: bigint; node: Address; receipts: number };
    return { claimId: args.claimId, node: args.node, receipts: Number(args.receipts) };
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Finalizes every claim (where the node's own claimer has not yet), then the gateway settles them. */
async function settleAll(claims: PostedClaim[]) {
  const h = stack.deployment.client;
  await h.advance(DEV_PARAMETERS.challengeWindow);
  const finalize = async (claim: PostedClaim) => {
    // Whoever is first, the claim finalizes; the other's transaction reverts in simulation.
    await h
      .send(watcher, stack.deployment.at.claimRegistry, claimsAbi, 'finalize', [claim.claimId])
      .catch(() => {});
    await until(`claim ${claim.claimId} to finalize`, async () =>
      (await claimStatus(claim.claimId)) === 2 ? true : undefined,
    );
  };
  const started = performance.now();
  await Promise.all(claims.map(finalize));
  console.error(
    `fees: ${claims.length} claims finalized in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await gateway.meter.flush();
  // The gateway's own settle loop, one pass: it finds the deployment's escrow from its record.
  const settling = startFeeSettling({
    db: stack.db,
    client: settler.client,
    rpcUrl: stack.deployment.chain.rpcUrl,
    chainId: settler.receiptDomain.chainId,
    claimRegistry: stack.deployment.at.claimRegistry,
    escrow: settler.escrow,
    account: settler.account,
    everyMs: 3_600_000,
    log: () => undefined,
  });
  try {
    return await settling.pass();
  } finally {
    await settling.stop();
  }
}

const claimStatus = async (claimId: bigint) =>
  (
    (await stack.deployment.client.read(stack.deployment.at.claimRegistry, claimsAbi, 'get', [claimId])) as {
      status: number;
    }
  ).status;

const feeChain = () => ({
  rpcUrl: stack.deployment.chain.rpcUrl,
  claimRegistry: stack.deployment.at.claimRegistry,
  escrow: { address: settler.escrow, deploymentId: settler.escrowDeploymentId },
});

const report = (): Promise<FeeReport> => feeReconciliation(stack.db, stack.deploymentId, feeChain());

const nodeOf = (r: FeeReport, node: Address) => r.nodes.find((n) => n.node === node.toLowerCase());

const liar = privateKeyToAccount(DEV_KEYS.nodeB);
let liarStaked: Promise<unknown> | undefined;

/**
 * A node staked and registered for the model posts 8 receipts of its own making; the claim
 * finalizes unless `finalize` is false.
 */
async function postInventedClaim(finalize = true): Promise<{ claimId: bigint; receipts: SignedReceipt[] }> {
  const h = stack.deployment.client;
  const at = stack.deployment.at;
  liarStaked ??= (async () => {
    const registered = registerArgs(modelCommitments(stack.deployment.model));
    await h.send(liar, at.modelRegistry, modelRegistryArtifact.abi, 'register', registered);
    await h.send(liar, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], DEV_PARAMETERS.minStake);
  })();
  await liarStaked;
  const receipts: SignedReceipt[] = [];
  for (let i = 0; i < 8; i++) {
    const fields = {
      modelId: fromHex(stack.deployment.modelId),
      inputDigest: randomBytes(32),
      outputDigest: randomBytes(32),
      traceRoot: new Uint8Array(32),
      steps: 1,
    };
    const nonce = BigInt(`0x${randomBytes(6).toString('hex')}`);
    receipts.push(await signReceipt(makeReceipt(fields, liar.address, nonce), liar, settler.receiptDomain));
  }
  const root = new ReceiptBatch(receipts, settler.receiptDomain).root;
  const args = [stack.deployment.modelId, root, 8];
  const posted = await h.send(liar, at.claimRegistry, claimsAbi, 'post', args, DEV_PARAMETERS.claimBond);
  const claimId = emitted(posted, at.claimRegistry, 'ClaimPosted').claimId as bigint;
  if (finalize) {
    await h.advance(DEV_PARAMETERS.challengeWindow);
    await h.send(watcher, at.claimRegistry, claimsAbi, 'finalize', [claimId]);
  }
  return { claimId, receipts };
}

/** A second deployment row of the stack's project and model (its own escrow account). */
async function secondDeployment(name: string): Promise<string> {
  const model = await stack.db.model.findFirstOrThrow({ where: { projectId: stack.projectId } });
  const data = {
    projectId: stack.projectId,
    modelRef: model.id,
    name,
    state: 'live',
    plan: '{}',
    maxPerHourUsd: 1,
  };
  return (await stack.db.deployment.create({ data })).id;
}

/**
 * The reconciliation of issue 19, registered in the calling suite: `requests` inferences through
 * a gateway that vouches for them; the node's claims finalize and are settled from the gateway's
 * vouchers; the SDK's report (`feeReconciliation`, behind `stoa usage` and the console) shows
 * metered = claimed = finalized = paid for the honest node, and for a node that invents work,
 * claimed and finalized but paid nothing, with the reason.
 */
export function defineFeeReconciliation(requests: number): void {
  requestCount = requests;
  beforeAll(setUp, 300_000);
  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
  }, 300_000);
  it(
    `${requestCount} requests through the gateway: metered = claimed = finalized = paid for an honest node`,
    async () => {
      const node = privateKeyToAccount(DEV_KEYS.nodeA).address;
      const started = performance.now();
      const answered = await run(await stack.createKey());
      const served = performance.now();
      expect(answered).toBeGreaterThanOrEqual(requestCount * 0.99);
      const claims = await until('the node to claim every receipt', async () => {
        const posted = await postedClaims();
        return posted.reduce((n, c) => n + c.receipts, 0) >= answered ? posted : undefined;
      });
      const claimed = performance.now();
      const { settled: settlements, failed } = await settleAll(claims);
      const settled = performance.now();
      expect(failed).toEqual([]);
      expect(settlements).toHaveLength(claims.length);
      const fees = await report();
      const s = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
      const gas = settlements.reduce((g, x) => g + x.gasUsed, 0n);
      console.error(
        `fees: ${answered} of ${requestCount} requests answered in ${s(started, served)} s, claimed after ${s(served, claimed)} s, ${claims.length} claims settled in ${s(claimed, settled)} s (${gas / BigInt(answered)} gas a receipt)`,
      );
      console.log(JSON.stringify(nodeOf(fees, node)));
      expect(nodeOf(fees, node)).toMatchObject({
        metered: answered,
        vouched: answered,
        claimed: answered,
        finalized: answered,
        settled: answered,
        paid: answered,
        paidWei: (PRICE * BigInt(answered)).toString(),
        explanation: [],
      });
      expect(fees.escrow.paidWei).toBe((PRICE * BigInt(answered)).toString());
    },
    120_000 + requestCount * 50,
  );

  it('a node that invents work (receipts no request stands behind): claimed, finalized, paid nothing, and why', async () => {
    const { claimId, receipts } = await postInventedClaim();
    // The gateway settles only its nodes' claims; the liar settles its own, with every voucher.
    const { vouchers } = await gatewayVouchers(stack.db, stack.deploymentId, settler.receiptDomain);
    const settled = await settleClaim(settler, claimId, receipts, vouchers);
    expect(settled).toMatchObject({ claimed: 8, paid: 0, amountWei: 0n });
    const fees = await report();
    const row = nodeOf(fees, liar.address);
    console.log(JSON.stringify(row));
    expect(row).toMatchObject({ metered: 0, claimed: 8, finalized: 8, settled: 8, paid: 0, unvouched: 8 });
    expect(row!.explanation).toEqual([
      'claimed 8, paid 0',
      '8 claimed but never metered: no request through the gateway stands behind them',
      '8 settled with no gateway voucher (or paid before): paid nothing',
    ]);
    expect(fees.total.claimed - fees.total.paid).toBe(8);
  }, 120_000);

  it('budget.maxFees from defineModel() is the escrow cap the deploy engine opens: 8 vouched receipts, 5 paid', async () => {
    const config = parseConfig({
      name: 'capped',
      model: { onnx: './model.onnx', calibration: './calibration.json' },
      networks: ['self-hosted'],
      budget: { maxPerHour: 1, maxFees: `${5n * PRICE} wei` },
      verification: { feePerRequest: `${PRICE} wei` },
    });
    const deploymentId = await secondDeployment('capped');
    const at = stack.deployment.at;
    const chain = { pid: 0, rpcUrl: stack.deployment.chain.rpcUrl, contractsFile: '', addresses: at };
    const model = { modelId: stack.deployment.modelId, config };
    const escrow = (await ensureDeploymentEscrow(stack.db, deploymentId, chain, stack.stoaDir, model))!;
    // A rerun of the step opens nothing new.
    expect(await ensureDeploymentEscrow(stack.db, deploymentId, chain, stack.stoaDir, model)).toEqual(escrow);
    const { claimId, receipts } = await postInventedClaim();
    // The dev gateway's voucher account stands behind all 8 (as if it had forwarded them).
    const gatewayAccount = mnemonicToAccount('test test test test test test test test test test test junk', {
      addressIndex: 10,
    });
    expect(gatewayAccount.address).toBe(devVoucherAccount().address);
    const domain = { chainId: at.chainId, verifyingContract: escrow.address };
    const vouchers = new Map<Hex, Hex>();
    for (const r of receipts) {
      const digest = receiptDigest(r, settler.receiptDomain);
      vouchers.set(digest, await signVoucher(gatewayAccount, digest, domain));
    }
    const capped = { ...settler, escrow: escrow.address, escrowDeploymentId: escrow.deploymentId };
    expect(await settleClaim(capped, claimId, receipts, vouchers)).toMatchObject({
      paid: 5,
      amountWei: 5n * PRICE,
    });
    const reports = await projectFeeReports(stack.db, stack.projectId, {
      rpcUrl: chain.rpcUrl,
      claimRegistry: at.claimRegistry,
    });
    const fees = reports.find((r) => r.deploymentId === deploymentId) as FeeReport;
    expect(fees.escrow).toMatchObject({ capWei: (5n * PRICE).toString(), paidWei: (5n * PRICE).toString() });
    const row = fees.nodes.find((n) => n.node === liar.address.toLowerCase() && n.settled > 0);
    expect(row).toMatchObject({ settled: 8, paid: 5, capped: 3, unvouched: 0 });
    expect(row!.explanation).toContain("3 past the budget cap or the escrow's funds: paid nothing");
    expect(reports.map((r) => r.deploymentId).sort()).toEqual([deploymentId, stack.deploymentId].sort());
  }, 120_000);

  it('a claim that loses (its node lets a demand for a receipt lapse): claimed, rejected, paid nothing, and why', async () => {
    const h = stack.deployment.client;
    const at = stack.deployment.at;
    const { claimId } = await postInventedClaim(false);
    await h.send(
      watcher,
      at.claimRegistry,
      claimsAbi,
      'demandReceipt',
      [claimId, 0],
      DEV_PARAMETERS.demandBond,
    );
    await h.advance(DEV_PARAMETERS.answerSeconds + 1n);
    const demandId = (await h.read(at.claimRegistry, claimsAbi, 'demandCount')) as bigint;
    await h.send(watcher, at.claimRegistry, claimsAbi, 'expire', [demandId]);
    expect(await claimStatus(claimId)).toBe(3);
    const row = nodeOf(await report(), liar.address);
    expect(row).toMatchObject({ rejected: 8, paid: 0 });
    expect(row!.explanation).toContain(
      '8 in rejected claims (lost a dispute or a proven fault): never paid, any reservation refundable to the owner',
    );
  }, 120_000);
}

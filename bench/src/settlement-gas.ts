/**
 * Gas of paying a node for a claim (issue 19): one `FeeEscrow.settle` per finalized claim, by
 * batch size, against the claim's own `post` measured in the same run. Also a batch that earns
 * nothing (every receipt paid before; none vouched), whose gas the settling party pays.
 */
import {
  chainClient,
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  emitted,
  feeEscrowArtifact,
  honestView,
  modelCommitments,
  ReceiptBatch,
  receiptDigest,
  settlementLeaves,
  setUpGame,
  signView,
  signVoucher,
  startAnvil,
} from '@stoa/contracts';
import { randomGraph, type SignedReceipt } from '@stoa/ir';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { printTable } from './measure.js';

const [owner, node, watcher] = DEV_ACCOUNTS;
/** Receipts per claim measured (STOA_BENCH_SETTLE_SIZES, comma-separated). */
const SIZES = (process.env.STOA_BENCH_SETTLE_SIZES ?? '1,16,64,256').split(',').map(Number);
const PRICE = 10n ** 12n;
const claims = claimRegistryArtifact.abi;
const escrowAbi = feeEscrowArtifact.abi;

export async function settlementGas(): Promise<void> {
  const chain = await startAnvil();
  try {
    const h = chainClient(chain.rpcUrl);
    const { model, inputs } = randomGraph(12);
    const f = await setUpGame(chain, h, owner, node, model);
    const view = await honestView(model, inputs);
    const escrow = await h.deploy(owner, feeEscrowArtifact, [f.at.claimRegistry]);
    const gateway = privateKeyToAccount(generatePrivateKey());
    const receiptDomain = { chainId: chain.chainId, verifyingContract: f.at.claimRegistry };
    const voucherDomain = { chainId: chain.chainId, verifyingContract: escrow };
    const { modelId } = modelCommitments(model);
    const budget = PRICE * 10n ** 6n;
    const opened = await h.send(
      owner,
      escrow,
      escrowAbi,
      'open',
      [modelId, gateway.address, PRICE, budget],
      budget,
    );
    const deploymentId = emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint;
    let nonce = 1n;
    const sign = (count: number) =>
      Promise.all(Array.from({ length: count }, () => signView(f, view, nonce++)));

    const claimAndSettle = async (receipts: SignedReceipt[], vouchers: ReadonlyMap<Hex, Hex>) => {
      const root = new ReceiptBatch(receipts, receiptDomain).root;
      const posted = await h.send(
        node,
        f.at.claimRegistry,
        claims,
        'post',
        [modelId, root, receipts.length],
        DEV_PARAMETERS.claimBond,
      );
      const claimId = emitted(posted, f.at.claimRegistry, 'ClaimPosted').claimId as bigint;
      await h.advance(DEV_PARAMETERS.challengeWindow);
      await h.send(watcher, f.at.claimRegistry, claims, 'finalize', [claimId]);
      const leaves = settlementLeaves(receipts, receiptDomain, vouchers);
      const settled = await h.send(watcher, escrow, escrowAbi, 'settle', [deploymentId, claimId, leaves]);
      return { post: posted.receipt.gasUsed, settle: settled.receipt.gasUsed };
    };

    const rows: Record<string, string | number>[] = [];
    for (const size of SIZES) {
      const receipts = await sign(size);
      const vouchers = new Map<Hex, Hex>();
      for (const r of receipts) {
        const digest = receiptDigest(r, receiptDomain);
        vouchers.set(digest, await signVoucher(gateway, digest, voucherDomain));
      }
      const paid = await claimAndSettle(receipts, vouchers);
      const again = await claimAndSettle(receipts, vouchers);
      const unvouched = await claimAndSettle(await sign(size), new Map());
      rows.push({
        receipts: size,
        'post gas': paid.post.toString(),
        'settle gas': paid.settle.toString(),
        'settle / post': (Number(paid.settle) / Number(paid.post)).toFixed(1),
        'settle gas / receipt': (Number(paid.settle) / size).toFixed(0),
        'settle, all paid before': again.settle.toString(),
        'settle, none vouched': unvouched.settle.toString(),
      });
      console.error(`settled claims of ${size} receipts`);
    }
    printTable(rows);
  } finally {
    await chain.stop();
  }
}

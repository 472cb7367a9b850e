import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type SignedReceipt, verifyReceipt } from '@stoa/ir';
import { DEV_KEYS, Deployment, type NodeProcess, spawnNode } from '@stoa/node';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from './build.js';
import { containerCommand, runAs, unpackImage } from './run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// Debian's .debs and the Node package are kept between runs (CI starts without them).
const CACHE = join(REPO, '.stoa/image-cache');

/** The pids whose parent is `pid`, recursively. */
async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
    if (new RegExp(`^PPid:\\s+${pid}$`, 'm').test(status))
      found.push(Number(name), ...(await descendants(Number(name))));
  }
  return found;
}

describe('the node image', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('is built by one command, twice to the same digest, and its root filesystem under unshare + chroot serves a valid receipt', async () => {
    const work = await mkdtemp(join(tmpdir(), 'stoa-image-test-'));
    cleanup.push(() => rm(work, { recursive: true, force: true }));
    const progress = (line: string) => process.stderr.write(`image: ${line}\n`);
    const first = await buildImage({
      repo: REPO,
      out: join(work, 'a'),
      cache: CACHE,
      variants: ['cpu'],
      progress,
    });
    // The second build runs while the first image serves. For CI time it takes the first build's
    // `npm ci` output (same cut lockfile) instead of installing again; everything else — Debian
    // unpacking, staging, every layer's tar, config and manifest — is done again from scratch.
    // (Two fully independent builds, `npm run image:build` twice, give the same digest too: README.)
    const second = buildImage({
      repo: REPO,
      out: join(work, 'b'),
      cache: CACHE,
      variants: ['cpu'],
      install: 'reuse',
    });
    cleanup.push(() => second.catch(() => undefined));

    const model = importMnistModel('cnn').model;
    const digit = Array.from(loadMnist('test').images.subarray(0, 784));
    const d = await Deployment.start(model);
    cleanup.push(() => d.stop());
    const image = await unpackImage(join(work, 'a'), 'stoa-node:cpu', join(work, 'rootfs'));
    expect(image.digest).toBe(first.images[0]!.digest);

    // The deployment's files (model, addresses, the node's key) appear inside at /run/stoa; the
    // data volume is a fresh directory. Both belong to the image's user.
    const data = join(work, 'data');
    execFileSync('mkdir', ['-p', data]);
    const inside = Object.fromEntries(
      Object.entries(d.env(DEV_KEYS.nodeA, { STOA_LISTEN: '127.0.0.1:0' })).map(([k, v]) => [
        k,
        v.replace(d.dir, '/run/stoa'),
      ]),
    );
    delete inside.STOA_DATA_DIR; // the image's own: its volume
    const { uid, gid } = runAs(image.config);
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${uid}:${gid}`, d.dir, data]);
    const node: NodeProcess = await spawnNode(
      {},
      containerCommand(image, inside, { '/run/stoa': d.dir, '/var/lib/stoa': data }),
    );
    cleanup.push(() => node.kill());

    // It really runs in the image's root filesystem, as the image's user.
    const pids = [node.process.pid!, ...(await descendants(node.process.pid!))];
    const roots = await Promise.all(pids.map((p) => readlink(`/proc/${p}/root`).catch(() => '')));
    expect(roots).toContain(image.rootfs);
    const status = await readFile(`/proc/${node.process.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));

    // `ready` comes only after the onnxruntime backend matched the reference bit for bit on a probe.
    const health = await node.waitForHealth('ready', 120_000);
    const address = privateKeyToAccount(DEV_KEYS.nodeA).address;
    expect(health.node).toBe(address);
    // The node writes its log lines once per event-loop turn: the line may trail the health answer.
    await expect.poll(() => node.logs.some((l) => l.msg === 'ready'), { timeout: 10_000 }).toBe(true);

    const response = await fetch(`${node.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [digit] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      receipt: Omit<SignedReceipt, 'nonce'> & { nonce: string };
      outputs: { data: number[] }[];
    };
    expect(body.outputs[0]!.data).toHaveLength(10);
    const receipt = { ...body.receipt, nonce: BigInt(body.receipt.nonce) };
    expect(receipt.node).toBe(address);
    const domain = { chainId: d.chain.chainId, verifyingContract: d.at.claimRegistry };
    expect(await verifyReceipt(receipt, domain)).toBe(true);
    expect(await verifyReceipt({ ...receipt, outputDigest: `0x${'00'.repeat(32)}` }, domain)).toBe(false);
    expect(await node.stop()).toBe(0);

    const again = await second;
    expect(again.images[0]!.layers.map((l) => l.digest)).toEqual(
      first.images[0]!.layers.map((l) => l.digest),
    );
    expect(again.images[0]!.digest).toBe(first.images[0]!.digest);
    progress(
      `builds: ${first.seconds.toFixed(1)} s and ${again.seconds.toFixed(1)} s (the second beside the run)`,
    );
  }, 600_000);
});

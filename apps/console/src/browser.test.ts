/**
 * The whole product in a real Chromium (playwright-core + Debian's chromium-headless-shell), against the stack
 * `stoa dev` starts (chain, database, three nodes, gateway, console): the model import →
 * hypergraph → tiles flow, the API key flow, the deploy wizard's quotes and economics, then a key
 * → a drawn digit through the gateway → the receipt verified → the usage chart updated → the
 * dishonest node's dispute with its timeline → Ctrl-C leaves nothing listening. Each page at 1280
 * and 390 px wide with an axe-core scan (no serious or critical violation), screenshots written
 * to apps/console/test-artifacts/, and each page's first-load JavaScript against its budget
 * (BENCHMARKS.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from './server/build.js';
import { firstLoadJs, launchChromium, seriousViolations } from './testing/browser.js';
import { type DevStack, startDevStack } from './testing/dev-stack.js';
import { removeUploadFiles, uploadFiles } from './testing/upload-files.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts', import.meta.url));
const WIDTHS = [1280, 390] as const;
/** First-load JS budget of every page, gzip bytes; justified in BENCHMARKS.md ("Console first-load JS"). */
const FIRST_LOAD_BUDGET_GZIP = 200 * 1024;

let stack: DevStack;
let running: { url: string };
let browser: Browser;
let modelPath: string;
let uploadedModelId: string;
/** The key the playground test created (its requests show up under "playground" in Usage). */
let playgroundKey: string;
/** The model the test uploads and deploys; the deployment takes the project's name. */
const UPLOADED = 'uploaded-mlp';
const PROJECT_NAME = 'stoa-dev';

/** Whether anything answers HTTP at `url` within 2 s. */
const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );

/** What the project's `.stoa/<name>.json` records (the dev chain, the artifact store, the dev stack). */
const stoaFile = (name: string) =>
  JSON.parse(readFileSync(join(stack.projectDir, '.stoa', `${name}.json`), 'utf8')) as {
    rpcUrl?: string;
    url?: string;
    owner?: string;
  };

/** Whether the gateway lists `model` with a healthy replica (its catalog follows the database). */
async function gatewayServes(model: string): Promise<boolean> {
  const response = await fetch(`${stack.gatewayUrl}/v1/models`, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  const body = (await response.json()) as { data?: { id: string; replicas: { healthy: boolean }[] }[] };
  return body.data?.find((m) => m.id === model)?.replicas.some((r) => r.healthy) ?? false;
}

/** Draws a "1" (one stroke down the middle) on the playground's canvas with the mouse. */
async function drawOne(page: Page) {
  const box = (await page.getByLabel(/Drawing area/).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.85, { steps: 12 });
  await page.mouse.up();
}

beforeAll(async () => {
  await ensureConsoleBuilt();
  const starting = performance.now();
  stack = await startDevStack(400_000);
  console.log(`stoa dev served after ${((performance.now() - starting) / 1000).toFixed(1)} s`);
  running = { url: stack.consoleUrl };
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  removeUploadFiles();
});

async function openPage(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: running.url });
  return context.newPage();
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('the console in Chromium', () => {
  it('uploads an ONNX model with calibration and eval files, shows its hypergraph and a step’s tiles', async () => {
    const files = uploadFiles();
    const page = await openPage(1280);
    await page.goto(`${running.url}/models`);
    await page.getByLabel('Name').fill(UPLOADED);
    await page.getByLabel('ONNX file').setInputFiles(files.onnx);
    await page.getByLabel(/^Calibration samples/).setInputFiles(files.calibration);
    await page.getByLabel(/^Labelled eval set/).setInputFiles(files.eval);
    await page.getByRole('button', { name: 'Upload and import' }).click();
    const panel = page.getByRole('region', { name: `Import of ${UPLOADED}` });
    await panel.getByText('weightsRoot').waitFor({ timeout: 60_000 });
    const text = (await panel.textContent()) ?? '';
    uploadedModelId = /modelId\s*(0x[0-9a-f]{64})/.exec(text)?.[1] ?? '';
    expect(uploadedModelId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(text).toMatch(/float \d+\.\d%, integer \d+\.\d%/);
    await shoot(page, 'models-uploaded-1280');
    await page.getByRole('link', { name: UPLOADED }).click();
    await page.waitForURL(/\/models\/[^/]+$/);
    modelPath = new URL(page.url()).pathname;
    const steps = page.locator('.react-flow__node.hg-step');
    await steps.first().waitFor();
    expect(await steps.count()).toBeGreaterThan(1);
    expect(await page.locator('.react-flow__node.hg-tensor').count()).toBeGreaterThan(2);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await steps.first().click();
    const tiles = page.getByRole('region', { name: /Tiles of step \d+/ });
    await tiles.locator('tbody tr').first().waitFor();
    expect(await tiles.textContent()).toMatch(/\d+ tiles/);
    await shoot(page, 'model-hypergraph-1280');
    await page.context().close();
  });

  it('creates an API key shown once with a copy button, lists it with its limits, revokes it', async () => {
    const page = await openPage(1280);
    await page.goto(`${running.url}/keys`);
    await page.getByLabel('Name').fill('browser-test');
    await page.getByLabel('Requests per second').fill('5');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
    const row = page.getByRole('row', { name: /browser-test/ });
    await row.getByText('5/s').waitFor();
    await shoot(page, 'keys-created-1280');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: /Revoke/ }).click();
    await row.getByText('revoked').waitFor();
    // Shown once: a reload lists the prefix only.
    await page.reload();
    await page.getByRole('row', { name: /browser-test/ }).waitFor();
    expect(await page.content()).not.toContain(key);
    await page.context().close();
  });

  it('shows live quotes, the plan and the economics calculator in the deploy wizard, and starts deploying the upload', async () => {
    const page = await openPage(1280);
    await page.goto(`${running.url}/deploy`);
    await page.getByRole('region', { name: 'Quotes from self-hosted' }).waitFor({ timeout: 60_000 });
    await page.getByText(/Planned cost \$/).waitFor();
    await page.getByText('Cheating does not pay under these parameters.').waitFor();
    await page.getByLabel('Audit rate (0–1)').fill('0');
    await page.getByText(/verification\.auditRate/).waitFor();
    await shoot(page, 'deploy-economics-1280');
    // The deploy runs in the console's process while the next tests use the stack; a later test
    // checks that it went live, serves, and tears down.
    await page.getByLabel('Model', { exact: true }).selectOption(UPLOADED);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText(/^Deploy started \d\d:\d\d:\d\d: running/).waitFor();
    await page.context().close();
  });

  it('serves the whole product: a key, a drawn digit through the gateway, its receipt verified, usage charted, the dishonest node’s dispute', async () => {
    const page = await openPage(1280);
    // The usage the page shows before: `stoa dev`'s own requests through the gateway.
    const requestsShown = async () =>
      (await page.getByTestId('usage-requests').allTextContents()).reduce((n, t) => n + Number(t), 0);
    await page.goto(`${running.url}/usage`);
    await page
      .getByRole('figure', { name: /Requests per API key/ })
      .locator('svg')
      .first()
      .waitFor({ timeout: 30_000 });
    const before = await requestsShown();
    // `stoa dev` sends two at a time until both networks answered: at least two.
    expect(before).toBeGreaterThanOrEqual(2);

    await page.goto(`${running.url}/keys`);
    await page.getByLabel('Name').fill('playground');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    expect(key).toMatch(/^sk_/);
    playgroundKey = key;

    await page.goto(`${running.url}/playground`);
    await drawOne(page);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Run inference' }).click();
    await page.getByTestId('prediction').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('prediction').textContent()).toMatch(/^\d$/);
    await page.getByRole('button', { name: 'Verify receipt' }).click();
    await page.getByText(/^Receipt verified: signed by 0x[0-9a-fA-F]{40}/).waitFor();
    // Challenge: the gateway replays the request on another replica and compares.
    await page.getByRole('button', { name: 'Challenge' }).click();
    await page.getByTestId('challenge-result').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('challenge-result').textContent()).toMatch(
      /^Challenge: (match|mismatch|unavailable)/,
    );
    await shoot(page, 'playground-verified-1280');

    await page.goto(`${running.url}/usage`);
    await expect.poll(requestsShown, { timeout: 30_000 }).toBeGreaterThan(before);
    await page.getByRole('cell', { name: 'playground' }).waitFor();
    await shoot(page, 'usage-updated-1280');

    // The dev deployment's log, streamed (server-sent events) once shown.
    await page.goto(`${running.url}/deployments`);
    const deployment = page.getByRole('region', { name: 'Deployment mnist' });
    // One replica on each emulated network: "honest" on io.net, "faulty" on Akash.
    await deployment.getByRole('row', { name: /ionet\s+running/ }).waitFor();
    await deployment.getByRole('row', { name: /akash\s+running/ }).waitFor();
    await deployment.getByRole('button', { name: /Show log/ }).click();
    await deployment
      .getByRole('log')
      .getByText(/provision\s+done\s+node faulty on akash running at http/)
      .waitFor();

    await page.goto(`${running.url}/disputes`);
    // The game the watcher won against the faulty node (others it opened may still be in play).
    const game = page
      .getByRole('region', { name: /^Dispute \d+$/ })
      .filter({ has: page.getByTestId('slashed') })
      .first();
    await game.waitFor({ timeout: 60_000 });
    expect(await game.getByTestId('verdict').textContent()).toMatch(/at \d\d:\d\d:\d\d \(tx 0x[0-9a-f]{8}/);
    expect(await game.getByTestId('slashed').textContent()).toMatch(/^[\d.]+ ETH from 0x/);
    expect(await game.getByRole('img', { name: /Steps in dispute after each of \d+ rounds/ }).count()).toBe(
      1,
    );
    const moves = await game.getByRole('table').locator('tbody tr').count();
    expect(moves).toBeGreaterThan(3);
    await shoot(page, 'disputes-timeline-1280');
    // The same bisection on the model's hypergraph: the marked steps narrow round by round.
    await game.getByRole('button', { name: 'Show on the hypergraph' }).click();
    const marked = game.locator('.react-flow__node.hg-disputed');
    await marked.first().waitFor({ timeout: 60_000 });
    const interval = game.getByTestId('graph-interval');
    const markedNow = async () =>
      Number(/\((\d+) of \d+ marked\)/.exec((await interval.textContent()) ?? '')?.[1]);
    const last = await markedNow();
    expect(await marked.count()).toBe(last);
    await game.getByRole('slider').press('Home');
    await interval.getByText(/^Before the first pick/).waitFor();
    const first = await markedNow();
    expect(first).toBeGreaterThan(last);
    expect(await marked.count()).toBe(first);
    await game.getByRole('slider').press('End');
    await expect.poll(() => marked.count()).toBe(last);
    await shoot(page, 'disputes-hypergraph-1280');
    await page.context().close();
  });

  it('deploys the upload onto `stoa dev`’s chain, its gateway routes a drawn digit to it; teardown from Deployments leaves nothing of it running', async () => {
    const page = await openPage(1280);
    await page.goto(`${running.url}/deploy`);
    const run = page.getByRole('region', { name: 'Deploy', exact: true });
    await run.getByText(/^Deploy started \d\d:\d\d:\d\d: (done|failed)/).waitFor({ timeout: 180_000 });
    expect(await run.textContent()).toMatch(/: done/);
    expect(await run.locator('pre').textContent()).toMatch(
      /provision \S+ on self-hosted done: http:\/\/127\.0\.0\.1:\d+/,
    );
    // Registered on `stoa dev`'s own chain (the engine reused it: `.stoa/chain.json` is stoa dev's).
    const devChain = stoaFile('dev').rpcUrl!;
    expect(stoaFile('chain')).toMatchObject({ owner: 'stoa dev', rpcUrl: devChain });
    expect(await run.locator('pre').textContent()).toContain(`registered on ${devChain}`);
    await shoot(page, 'deploy-done-1280');

    await page.goto(`${running.url}/deployments`);
    const deployment = page.getByRole('region', { name: `Deployment ${PROJECT_NAME}` });
    await deployment.getByText('(live)').waitFor({ timeout: 30_000 });
    expect(await deployment.textContent()).toContain(`${UPLOADED} ${uploadedModelId.slice(0, 18)}`);
    const endpoint = (
      await deployment.getByRole('row', { name: /self-hosted\s+running/ }).textContent()
    )?.match(/http:\/\/127\.0\.0\.1:\d+/)?.[0];
    expect(endpoint).toBeDefined();
    // Serving on `stoa dev`'s own chain, routed by its gateway: the replica answers healthy for
    // the uploaded modelId, and a digit drawn in the playground reaches it through the gateway.
    const health = (await (await fetch(`${endpoint}/health`)).json()) as { state: string; modelId: string };
    expect(health).toMatchObject({ state: 'ready', modelId: uploadedModelId });
    const store = stoaFile('store').url!;
    await expect.poll(() => gatewayServes(UPLOADED), { timeout: 30_000 }).toBe(true);
    await shoot(page, 'deployments-live-1280');

    await page.goto(`${running.url}/playground`);
    // The label wraps the menu: its name is "Model" followed by the chosen option.
    await page.getByRole('combobox', { name: /^Model/ }).selectOption(UPLOADED);
    await drawOne(page);
    await page.getByLabel('API key').fill(playgroundKey);
    await page.getByRole('button', { name: 'Run inference' }).click();
    await page.getByTestId('prediction').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Verify receipt' }).click();
    await page
      .getByText(`for model ${uploadedModelId.slice(0, 10)}…`)
      .filter({ hasText: /^Receipt verified: signed by 0x[0-9a-fA-F]{40}/ })
      .waitFor();
    await shoot(page, 'playground-uploaded-1280');

    await page.goto(`${running.url}/deployments`);

    page.once('dialog', (dialog) => void dialog.accept());
    await deployment.getByRole('button', { name: 'Tear down' }).click();
    await deployment
      .getByRole('status')
      .getByText(/^Torn down: 1 replica\(s\) released/)
      .waitFor({ timeout: 60_000 });
    // The deploy's artifact store stops; the chain is `stoa dev`'s and keeps running.
    expect(await deployment.getByRole('status').textContent()).toMatch(/stopped store/);
    await deployment.getByText('(torn-down)').waitFor();
    await shoot(page, 'deployments-torn-down-1280');
    // Nothing the deploy started still answers (the node, the artifact store); the chain does.
    for (const url of [endpoint!, store]) expect(await answers(url), url).toBe(false);
    expect(await answers(devChain)).toBe(true);
    // `stoa dev`'s own deployment is untouched.
    await page.getByRole('region', { name: 'Deployment mnist' }).getByText('(live)').waitFor();
    await page.context().close();
  });

  it('passes an axe-core scan with no serious or critical violation on every page, at 1280 and 390 px', async () => {
    const pages = [
      '/',
      '/models',
      modelPath,
      '/deploy',
      '/deployments',
      '/keys',
      '/usage',
      '/disputes',
      '/playground',
      '/login',
    ];
    const found: string[] = [];
    const page = await openPage(WIDTHS[0]);
    for (const path of pages) {
      await page.setViewportSize({ width: WIDTHS[0], height: 900 });
      await page.goto(`${running.url}${path}`);
      await page.locator('h1').first().waitFor();
      await page
        .getByText(/^(Loading|Laying out)/)
        .first()
        .waitFor({ state: 'detached' });
      // One load per page, scanned at each width (the layout is CSS: it reflows on resize).
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve()))');
        for (const v of await seriousViolations(page))
          found.push(`${path} @${width}px: ${v.id} (${v.impact}) ${v.help} — ${v.targets.join(', ')}`);
        const name = path === '/' ? 'overview' : path === modelPath ? 'model-detail' : path.slice(1);
        await shoot(page, `${name}-${width}`);
      }
    }
    await page.context().close();
    expect(found).toEqual([]);
  });

  it('keeps every page’s first-load JavaScript within its budget', async () => {
    const pages = {
      '/': '/',
      '/models': '/models',
      '/models/[id]': modelPath,
      '/deploy': '/deploy',
      '/deployments': '/deployments',
      '/keys': '/keys',
      '/usage': '/usage',
      '/disputes': '/disputes',
      '/playground': '/playground',
      '/login': '/login',
    };
    const sizes: Record<string, unknown> = {};
    for (const [route, path] of Object.entries(pages)) {
      const size = await firstLoadJs(browser, `${running.url}${path}`);
      sizes[route] = size;
      expect(size.files, route).toBeGreaterThan(0);
      expect(size.gzipBytes, `${route}: ${size.gzipBytes} gzip bytes`).toBeLessThanOrEqual(
        FIRST_LOAD_BUDGET_GZIP,
      );
    }
    writeFileSync(join(ARTIFACTS, 'first-load-js.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  });

  it('stops every process on Ctrl-C: nothing it started still listens', async () => {
    // The scenario `stoa dev` played before serving (apps/cli/src/dev.test.ts covers only its flags).
    const out = stack.output();
    expect(out).toMatch(/modelId 0x[0-9a-f]{64}/);
    expect(out).toMatch(/node "honest"[^\n]*→ \d, receipt signed by 0x[0-9a-fA-F]{40}/);
    // Through the gateway, answered on both emulated networks: io.net and Akash.
    expect(out).toMatch(/through the gateway, with the API key\): answered by [^\n]*ionet\/0x/);
    expect(out).toMatch(/through the gateway, with the API key\): answered by [^\n]*akash\/0x/);
    expect(out).toContain('stake of "honest" 1 ETH (untouched)');
    expect(out).toContain('stake of "faulty" 0 ETH (slashed 1 ETH)');
    expect(out).toMatch(/"disputesWon":[1-9]/); // the watcher may win a second wrong claim before its report
    const urls = stack.urls;
    expect(urls.length).toBeGreaterThanOrEqual(6); // chain, three nodes, gateway, console
    expect(await stack.stop(), stack.output()).toBe(0);
    const listening: string[] = [];
    for (const url of urls) if (await answers(url)) listening.push(url);
    expect(listening).toEqual([]);
    expect(stack.output()).toContain('✔ stop the console, the gateway, the nodes and the chain');
  });
});

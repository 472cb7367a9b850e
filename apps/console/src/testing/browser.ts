import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);

/**
 * Debian's Chromium headless shell (`apt-get install chromium-headless-shell`), as CI runs it:
 * the same Blink and V8 as the `chromium` package without the full browser's windows and UI
 * renderers, which is what Playwright itself runs for headless tests. The browser test's Chromium
 * CPU went from ~115 s to ~67 s (docs/decisions.md, "The console's browser test in Chromium's
 * headless shell"). Without it, Debian's full `chromium` is used; `CHROMIUM_PATH` names another build.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const DEBIAN_CHROMIUMS = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'];

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = DEBIAN_CHROMIUMS.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `no Chromium at ${DEBIAN_CHROMIUMS.join(' or ')}: apt-get install chromium-headless-shell, or set CHROMIUM_PATH`,
    );
  return found;
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/** Runs axe-core (WCAG 2.1 A/AA and best practices) on the page; returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const source = require('axe-core').source as string;
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } })
      .axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}

export interface FirstLoadJs {
  readonly files: number;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * First-load JavaScript of `url` in a fresh browser (Next.js's measure): the scripts its HTML
 * names, which load before the page is interactive. Lazy chunks (React Flow and ELK on a
 * model's page) come after and are not counted.
 */
export async function firstLoadJs(browser: Browser, url: string): Promise<FirstLoadJs> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies = new Map<string, Promise<Buffer>>();
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script') return;
    const body = response.body();
    // Lazy chunks are never awaited: their bodies fail once the context closes, unobserved.
    body.catch(() => undefined);
    bodies.set(response.url(), body);
  });
  const document = await page.goto(url, { waitUntil: 'load' });
  const html = (await document?.text()) ?? '';
  // Chromium skips `nomodule` scripts (legacy polyfills); they are not part of its first load.
  const tags = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"[^>]*>/g)].filter(
    (m) => !/\snomodule/i.test(m[0]),
  );
  const named = [...new Set(tags.map((m) => new URL(m[1]!, url).href))];
  const scripts = await Promise.all(
    named.map((u) => bodies.get(u) ?? Promise.reject(new Error(`${u} never loaded`))),
  );
  await context.close();
  return {
    files: scripts.length,
    bytes: scripts.reduce((n, b) => n + b.length, 0),
    gzipBytes: scripts.reduce((n, b) => n + gzipSync(b).length, 0),
  };
}

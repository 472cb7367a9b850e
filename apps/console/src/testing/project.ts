import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway Stoa project for console tests: a stoa.config.ts (a plain object, so it needs no
 * node_modules) with the self-hosted network, its SQLite database created on first open.
 */
export function makeTestProject(name = 'console-test'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-console-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'stoa.config.ts'),
    `export default {
  name: '${name}',
  model: { onnx: './model.onnx', calibration: [[0]] },
  networks: ['self-hosted'],
  budget: { maxPerHour: 5 },
  verification: { stake: '1 eth', auditRate: 0.05, challengeWindow: '1h' },
  chain: 'dev',
};
`,
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

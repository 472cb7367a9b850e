import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig, ModelImportInput } from '@stoa/sdk';

/** What a console import keeps so the deploy wizard can later build and deploy the same model. */
interface SourceMeta {
  readonly label: string;
  readonly activationBits: 8 | 16;
}

const sourcesDir = (stoaDir: string, name: string) => join(stoaDir, 'models', 'sources', name);

/**
 * Keeps an import's ONNX bytes and calibration samples under `.stoa/models/sources/<name>/`
 * (the name is validated by the upload schema: lower-case letters, digits and dashes).
 */
export function saveModelSources(stoaDir: string, input: ModelImportInput): void {
  const dir = sourcesDir(stoaDir, input.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), input.onnx);
  writeFileSync(join(dir, 'calibration.json'), JSON.stringify(input.calibration));
  const meta: SourceMeta = { label: input.label, activationBits: input.activationBits ?? 8 };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/** Whether an import named `name` kept its sources (imports before this existed did not). */
export function hasModelSources(stoaDir: string, name: string): boolean {
  return existsSync(join(sourcesDir(stoaDir, name), 'meta.json'));
}

/**
 * The project's config with its model replaced by the imported model `name`: the deploy engine
 * builds (calibrates, quantizes) it from the kept sources exactly as `stoa deploy` builds the
 * model stoa.config.ts names. The deployment keeps the project's name, networks and budget.
 */
export function configWithModel(project: LoadedConfig, stoaDir: string, name: string): LoadedConfig {
  const dir = sourcesDir(stoaDir, name);
  if (!hasModelSources(stoaDir, name)) throw new Error(`model '${name}': no imported sources to deploy`);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as SourceMeta;
  const { eval: _eval, ...model } = project.config.model;
  return {
    ...project,
    config: {
      ...project.config,
      model: {
        ...model,
        onnx: join(dir, 'model.onnx'),
        calibration: join(dir, 'calibration.json'),
        activationBits: meta.activationBits,
      },
    },
  };
}

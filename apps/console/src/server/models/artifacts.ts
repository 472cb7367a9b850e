import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, type Model, modelId, toHex } from '@stoa/ir';

const cache = new Map<string, Model>();

/**
 * A compiled model by its modelId: the console's imports keep it at `.stoa/models/<id>.stoa`,
 * `stoa build` at `.stoa/build/model.stoa` (used when its content address matches).
 */
export function loadArtifact(stoaDir: string, id: string): Model | undefined {
  const cached = cache.get(id);
  if (cached) return cached;
  for (const file of [join(stoaDir, 'models', `${id}.stoa`), join(stoaDir, 'build', 'model.stoa')]) {
    if (!existsSync(file)) continue;
    const model = decodeModel(new Uint8Array(readFileSync(file)));
    if (toHex(modelId(model)) !== id) continue;
    cache.set(id, model);
    return model;
  }
  return undefined;
}

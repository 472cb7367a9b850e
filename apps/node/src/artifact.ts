import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { decodeModel, type Model, modelId, toHex, weightsRoot } from '@stoa/ir';

/**
 * Fetches a compiled model (the canonical encoding, `encodeModel`) from a path, a file:// URL or
 * an http(s):// URL, and checks that it is the model it claims to be: its modelId is recomputed
 * from the bytes, so a wrong or corrupted artifact is refused before anything is served.
 */
export async function loadArtifact(url: string, expectedModelId: string): Promise<Model> {
  let bytes: Uint8Array;
  if (/^https?:\/\//.test(url)) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`STOA_ARTIFACT_URL ${url}: HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (error) {
      throw new Error(`STOA_ARTIFACT_URL ${url}: ${(error as Error).message}`);
    }
  }
  let model: Model;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    throw new Error(`STOA_ARTIFACT_URL ${url} is not a compiled Stoa model: ${(error as Error).message}`);
  }
  const id = toHex(modelId(model));
  if (id !== expectedModelId.toLowerCase()) {
    throw new Error(`STOA_ARTIFACT_URL ${url} holds model ${id}, not STOA_MODEL_ID ${expectedModelId}`);
  }
  return model;
}

/** The model's weightsRoot, to compare with the registry's. */
export function weightsRootOf(model: Model): `0x${string}` {
  return toHex(weightsRoot(model));
}

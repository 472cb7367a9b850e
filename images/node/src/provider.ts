/**
 * The GPU variant's only extra layer: onnxruntime's CUDA execution provider, placed beside the
 * onnxruntime binding (which loads providers from its own directory), and the CUDA 12 / cuDNN 9
 * libraries it links against, under /usr/local/cuda/lib64. Given as a directory:
 *   <dir>/onnxruntime/libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so
 *   <dir>/cuda/*.so*  (libcudart, libcublas, libcublasLt, libcudnn*, libcufft, libcurand)
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { RECIPE } from './recipe.js';
import { directoryEntries, type LayerEntry } from './tar-layer.js';

const BINDING_DIR = `${RECIPE.app.dir}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64`;
const REQUIRED = [
  'onnxruntime/libonnxruntime_providers_cuda.so',
  'onnxruntime/libonnxruntime_providers_shared.so',
];

export async function cudaProviderEntries(dir: string): Promise<LayerEntry[]> {
  for (const file of REQUIRED) {
    try {
      await access(join(dir, file));
    } catch {
      throw new Error(`--cuda-provider ${dir}: ${file} is missing (the GPU variant cannot run without it)`);
    }
  }
  const provider = await directoryEntries(join(dir, 'onnxruntime'), BINDING_DIR);
  const cuda = await directoryEntries(join(dir, 'cuda'), 'usr/local/cuda/lib64').catch(() => []);
  return [...provider, ...cuda].map((e) => ({ ...e, uid: 0, gid: 0 }));
}

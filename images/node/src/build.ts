/**
 * `npm run image:build`: the node's OCI image, CPU and (given its provider) GPU, written as an
 * OCI image layout. Three layers are shared — Debian's shared libraries, Node, the app — and
 * the GPU variant adds one: onnxruntime's CUDA provider with the CUDA libraries it loads.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { appEntries } from './app.js';
import { nodeRuntimeEntries } from './node-runtime.js';
import { blobPath, type Descriptor, type ImageConfig, writeImage, writeIndex } from './oci.js';
import { cudaProviderEntries } from './provider.js';
import { RECIPE, VARIANT_PROVIDERS, type Variant } from './recipe.js';
import { debianEntries } from './rootfs.js';
import { type LayerEntry, type WrittenLayer, writeLayer } from './tar-layer.js';

export interface BuildOptions {
  /** The repository root (its package-lock.json and workspaces). */
  repo: string;
  /** The OCI layout to write (replaced). */
  out: string;
  /** Downloaded .deb files and the Node package, kept between builds. */
  cache: string;
  variants: Variant[];
  /** The GPU variant's provider files (see provider.ts); required for `gpu`. */
  cudaProvider?: string;
  /** `reuse`: take the kept `npm ci` output of the same cut lockfile (see app.ts); default `fresh`. */
  install?: 'fresh' | 'reuse';
  progress?: (line: string) => void;
}

export interface BuiltImage {
  variant: Variant;
  tag: string;
  /** The manifest's digest: the image's identity. */
  digest: string;
  layers: WrittenLayer[];
}

export interface BuildResult {
  images: BuiltImage[];
  seconds: number;
}

const TAG = (variant: Variant) => `stoa-node:${variant}`;

function imageConfig(variant: Variant, layers: WrittenLayer[]): ImageConfig {
  const { uid, gid } = RECIPE.user;
  const env = [
    'PATH=/usr/local/bin:/usr/bin:/bin',
    'NODE_ENV=production',
    `STOA_LISTEN=0.0.0.0:${RECIPE.port}`,
    `STOA_DATA_DIR=/${RECIPE.dataDir}`,
    `STOA_ONNX_PROVIDERS=${VARIANT_PROVIDERS[variant]}`,
  ];
  if (variant === 'gpu') env.push('LD_LIBRARY_PATH=/usr/local/cuda/lib64');
  return {
    created: new Date(RECIPE.sourceDateEpoch * 1000).toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: `${uid}:${gid}`,
      Env: env,
      Entrypoint: ['/usr/local/bin/node', '--import', 'tsx', `${RECIPE.app.workspace}/src/main.ts`],
      WorkingDir: `/${RECIPE.app.dir}`,
      ExposedPorts: { [`${RECIPE.port}/tcp`]: {} },
      Volumes: { [`/${RECIPE.dataDir}`]: {} },
      Labels: {
        'org.opencontainers.image.title': 'stoa-node',
        'org.opencontainers.image.description': `The Stoa node (${variant}): traced inference with signed receipts`,
        'io.stoa.node-runtime': `${RECIPE.node.package}@${RECIPE.node.version}`,
      },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  };
}

export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const say = (line: string) =>
    options.progress?.(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  if (options.variants.includes('gpu') && !options.cudaProvider) {
    throw new Error(
      'the gpu variant needs --cuda-provider <dir>: onnxruntime-node does not ship its CUDA provider on npm (its installer downloads it from NuGet), and Debian has no CUDA 12 / cuDNN 9',
    );
  }
  const work = join(options.out, '.work');
  await rm(options.out, { recursive: true, force: true });
  await mkdir(join(options.out, 'blobs', 'sha256'), { recursive: true });
  await mkdir(work, { recursive: true });

  let layerCount = 0;
  const layer = async (name: string, entries: LayerEntry[]): Promise<WrittenLayer> => {
    const file = join(work, `layer-${layerCount++}.tar`);
    const written = await writeLayer(file, entries, RECIPE.sourceDateEpoch);
    await rename(file, blobPath(options.out, written.digest));
    say(
      `layer ${name}: ${written.entries} entries, ${(written.size / 2 ** 20).toFixed(1)} MiB, ${written.digest}`,
    );
    return written;
  };

  const noting =
    <T>(what: (value: T) => string) =>
    (value: T) => {
      say(what(value));
      return value;
    };
  say('unpacking Debian packages, fetching Node, installing the app (in parallel)');
  const [debian, node, app, provider] = await Promise.all([
    debianEntries(work, join(options.cache, 'debs')).then(noting(() => 'debian packages unpacked')),
    nodeRuntimeEntries(join(options.cache, 'node')).then(noting(() => 'node runtime fetched')),
    appEntries(options.repo, join(work, 'app'), {
      cache: join(options.cache, 'installs'),
      mode: options.install,
    }).then(noting((e) => `app installed (${e.workspaces.join(', ')})`)),
    options.variants.includes('gpu') ? cudaProviderEntries(options.cudaProvider!) : undefined,
  ]);
  const shared = [await layer('debian', debian), await layer('node', node), await layer('app', app.entries)];
  const providerLayer = provider ? await layer('cuda provider', provider) : undefined;

  const images: BuiltImage[] = [];
  const index: Record<string, Descriptor> = {};
  for (const variant of options.variants) {
    const layers = variant === 'gpu' ? [...shared, providerLayer!] : shared;
    const manifest = await writeImage(options.out, imageConfig(variant, layers), layers);
    index[TAG(variant)] = manifest;
    images.push({ variant, tag: TAG(variant), digest: manifest.digest, layers });
    say(`image ${TAG(variant)}: ${manifest.digest}`);
  }
  await writeIndex(options.out, index);
  await rm(work, { recursive: true, force: true });
  return { images, seconds: (Date.now() - started) / 1000 };
}

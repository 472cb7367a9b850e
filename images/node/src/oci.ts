/**
 * An OCI image layout on disk (image-spec v1.1): `oci-layout`, `index.json` naming one manifest
 * per variant, and content-addressed blobs. JSON is written with a fixed key order, so equal
 * inputs give equal digests.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WrittenLayer } from './tar-layer.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface ImageConfig {
  created: string;
  architecture: 'amd64';
  os: 'linux';
  config: {
    User: string;
    Env: string[];
    Entrypoint: string[];
    WorkingDir: string;
    ExposedPorts: Record<string, Record<string, never>>;
    Volumes: Record<string, Record<string, never>>;
    Labels: Record<string, string>;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: typeof MEDIA.manifest;
  config: Descriptor;
  layers: Descriptor[];
}

export const blobPath = (layout: string, digest: string) =>
  join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));

/** Writes a JSON blob, returning its descriptor. */
export async function writeJsonBlob(layout: string, mediaType: string, value: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(blobPath(layout, digest), bytes);
  return { mediaType, digest, size: bytes.length };
}

/** Writes one image (config + manifest) over already written layers; returns the manifest's descriptor. */
export async function writeImage(
  layout: string,
  config: ImageConfig,
  layers: WrittenLayer[],
): Promise<Descriptor> {
  const configDescriptor = await writeJsonBlob(layout, MEDIA.config, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: configDescriptor,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  return writeJsonBlob(layout, MEDIA.manifest, manifest);
}

/** Writes `oci-layout` and `index.json` naming each image by its tag (`ref.name`). */
export async function writeIndex(layout: string, images: Record<string, Descriptor>): Promise<void> {
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = Object.entries(images).map(([tag, d]) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    platform: { architecture: 'amd64', os: 'linux' },
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }),
  );
}

/** Reads the image tagged `tag` back from a layout: its manifest digest, manifest and config. */
export async function readImage(
  layout: string,
  tag: string,
): Promise<{ digest: string; manifest: ImageManifest; config: ImageConfig }> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`${layout}: no image tagged '${tag}' in index.json`);
  const manifest = JSON.parse(await readFile(blobPath(layout, found.digest), 'utf8')) as ImageManifest;
  const config = JSON.parse(await readFile(blobPath(layout, manifest.config.digest), 'utf8')) as ImageConfig;
  return { digest: found.digest, manifest, config };
}

/**
 * Runs an image of an OCI layout the way a container runtime would, with util-linux only (no
 * engine needed): its layers unpacked in order into a root filesystem, then its Entrypoint
 * started under `unshare` (its own mount namespace: /proc, /dev and /sys and the volumes
 * bind-mounted) and `chroot`ed into it, in its WorkingDir, as its User, with its Env alone.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { blobPath, type ImageConfig, readImage } from './oci.js';
import { runCommand } from './run-command.js';

export interface UnpackedImage {
  rootfs: string;
  digest: string;
  config: ImageConfig;
}

const isRoot = () => process.getuid?.() === 0;

/** Unpacks the image tagged `tag` in `layout` into `rootfs` (created), layer by layer. */
export async function unpackImage(layout: string, tag: string, rootfs: string): Promise<UnpackedImage> {
  const { digest, manifest, config } = await readImage(layout, tag);
  await mkdir(rootfs, { recursive: true });
  for (const layer of manifest.layers) {
    const owners = isRoot() ? ['--same-owner', '--numeric-owner'] : ['--no-same-owner'];
    await runCommand(`unpack ${layer.digest}`, 'tar', [
      '-xpf',
      blobPath(layout, layer.digest),
      '-C',
      rootfs,
      ...owners,
    ]);
  }
  return { rootfs, digest, config };
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The uid:gid the process will run as: the image's User when we are root, else (in a user namespace) root. */
export function runAs(config: ImageConfig): { uid: number; gid: number } {
  if (!isRoot()) return { uid: 0, gid: 0 };
  const [uid, gid] = config.config.User.split(':').map(Number);
  return { uid: uid ?? 0, gid: gid ?? uid ?? 0 };
}

/**
 * The command line that starts the image's entrypoint: `env` overrides the image's Env,
 * `volumes` maps container paths to host directories.
 */
export function containerCommand(
  image: UnpackedImage,
  env: Record<string, string>,
  volumes: Record<string, string>,
): { command: string; args: string[] } {
  const { rootfs, config } = image;
  const environment = new Map(
    config.config.Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  for (const [key, value] of Object.entries(env)) environment.set(key, value);
  const { uid, gid } = runAs(config);
  const mounts = [
    `mount --rbind /proc ${quote(join(rootfs, 'proc'))}`,
    `mount --rbind /dev ${quote(join(rootfs, 'dev'))}`,
    `mount --rbind /sys ${quote(join(rootfs, 'sys'))}`,
    ...Object.entries(volumes).map(
      ([inside, host]) =>
        `mkdir -p ${quote(join(rootfs, inside))} && mount --bind ${quote(host)} ${quote(join(rootfs, inside))}`,
    ),
  ];
  const start = [
    'exec env -i',
    ...[...environment].map(([k, v]) => quote(`${k}=${v}`)),
    'unshare',
    `--root=${quote(rootfs)}`,
    `--wd=${quote(config.config.WorkingDir)}`,
    ...(isRoot() ? [`--setgid=${gid}`, `--setuid=${uid}`] : []),
    '--',
    ...config.config.Entrypoint.map(quote),
  ].join(' ');
  // No PID namespace: `unshare --fork` would keep SIGTERM from the node (it blocks it and does
  // not forward it), and every step here execs the next, so the spawned pid *is* the node.
  const namespaces = ['--mount', ...(isRoot() ? [] : ['--map-root-user'])];
  return {
    command: 'unshare',
    args: [...namespaces, '--', 'sh', '-c', ['set -e', ...mounts, start].join('\n')],
  };
}

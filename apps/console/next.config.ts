import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // The repository-wide `tsc` and apps/console/tsconfig.json typecheck the console; the build
  // does not repeat it (CI time).
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
};

export default config;

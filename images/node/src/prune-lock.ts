/**
 * Cuts the repository's package-lock.json down to what one workspace needs at run time, so that
 * `npm ci --omit=dev` in the image's staging directory installs that workspace's production
 * closure (and nothing of the other workspaces' tools), at exactly the locked versions.
 */

/** One entry of a v3 lockfile's `packages` map (only the fields this module reads). */
export interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
  [field: string]: unknown;
}

export interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export interface PrunedLock {
  lock: Lockfile;
  /** Workspace folders (repository-relative) in the closure, the root workspace first. */
  workspaces: string[];
}

/** Where Node would find `name` when required from the package at `from` (a lockfile key). */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut >= 0 ? base.slice(0, cut) : '';
  }
}

function runtimeDependencies(entry: LockEntry): string[] {
  const optionalPeers = new Set(
    Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional)
      .map(([name]) => name),
  );
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
  ];
}

/**
 * The lockfile for `workspace` (e.g. `apps/node`) alone: the workspaces it depends on, their
 * links, and every registry package reachable through production dependencies. Development
 * dependencies are dropped from the kept workspaces' entries (the staged package.json files
 * must drop them too, see {@link withoutDevDependencies}).
 */
export function pruneLock(lock: Lockfile, workspace: string): PrunedLock {
  const { packages } = lock;
  if (!packages[workspace]) throw new Error(`package-lock.json: no workspace '${workspace}'`);
  const kept = new Map<string, LockEntry>();
  const workspaces: string[] = [];
  const pending = [workspace];
  while (pending.length > 0) {
    const key = pending.pop()!;
    if (kept.has(key)) continue;
    const entry = packages[key];
    if (!entry) throw new Error(`package-lock.json: '${key}' is referenced but has no entry`);
    if (entry.link) {
      kept.set(key, entry);
      pending.push(entry.resolved!);
      continue;
    }
    const isWorkspace = !key.startsWith('node_modules/') && !key.includes('/node_modules/');
    if (isWorkspace) workspaces.push(key);
    kept.set(key, isWorkspace ? withoutDevDependencies(entry) : entry);
    for (const name of runtimeDependencies(entry)) {
      const found = resolveFrom(packages, key, name);
      if (found) pending.push(found);
      else if (!(name in (entry.optionalDependencies ?? {})) && !(name in (entry.peerDependencies ?? {}))) {
        throw new Error(`package-lock.json: '${name}' (needed by '${key}') is not locked`);
      }
    }
  }
  // Every kept workspace's own link (npm checks that each workspace is linked in node_modules).
  for (const [key, entry] of Object.entries(packages)) {
    if (entry.link && entry.resolved && workspaces.includes(entry.resolved)) kept.set(key, entry);
  }
  const sortedWorkspaces = [workspace, ...workspaces.filter((w) => w !== workspace).sort()];
  const root: LockEntry = { name: lock.name, version: lock.version, workspaces: sortedWorkspaces };
  const prunedPackages: Record<string, LockEntry> = { '': root };
  for (const key of [...kept.keys()].sort()) prunedPackages[key] = kept.get(key)!;
  return {
    lock: {
      name: lock.name,
      version: lock.version,
      lockfileVersion: lock.lockfileVersion,
      requires: true,
      packages: prunedPackages,
    },
    workspaces: sortedWorkspaces,
  };
}

/** A package manifest (or lock entry) without its development dependencies. */
export function withoutDevDependencies<T extends { devDependencies?: unknown }>(manifest: T): T {
  const { devDependencies: _dropped, ...rest } = manifest;
  return rest as T;
}

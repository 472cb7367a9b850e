export declare const MANIFEST = 'manifest.json';

/** The bundle's manifest: which build is current, and each input's path relative to dist → [mtimeMs, size, sha256]. */
export interface Manifest {
  /** The folder under dist/builds holding this build's main.js. */
  readonly build: string;
  readonly inputs: Record<string, readonly [number, number, string]>;
}

export declare function sha256(path: string): string;
export declare function freshBuild(dist: string): Manifest | undefined;
export declare function isFresh(dist: string): boolean;

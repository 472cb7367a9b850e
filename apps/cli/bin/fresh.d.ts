export declare const MANIFEST = 'manifest.json';

/** The bundle's manifest: each input's path relative to dist → [mtimeMs, size] when bundled. */
export interface Manifest {
  readonly inputs: Record<string, readonly [number, number]>;
}

export declare function isFresh(dist: string): boolean;

export { type BuildOptions, type BuildResult, type BuiltImage, buildImage } from './build.js';
export { type ImageConfig, type ImageManifest, readImage } from './oci.js';
export { type Lockfile, pruneLock } from './prune-lock.js';
export { RECIPE, VARIANT_PROVIDERS, type Variant } from './recipe.js';
export { containerCommand, runAs, type UnpackedImage, unpackImage } from './run.js';

/**
 * @metallb-ts/image — OCI images of the controller and speaker without a container engine.
 */
export { buildImage, cachedImages, imageCacheDir, imageSkipReason, ImageBuildError, REPO_ROOT, type BuildImageOptions, type BuiltImage } from './build.js';
export { parseImageArgs, USAGE, type ImageArgs } from './cli-args.js';
export { ociRuntime, runtimeConfig, unpackImage, writeRuntimeConfig, type RuntimeConfig, type RunSpec } from './run.js';
export {
  APP_DIR,
  APP_IMAGES,
  APP_NAMES,
  IMAGE_LAYOUT_VERSION,
  NODE_PATH,
  NONROOT,
  cacheKey,
  groupFile,
  imageLabels,
  imageRef,
  librariesToCopy,
  nsswitchFile,
  parseLdd,
  passwdFile,
  umociConfigArgs,
  MissingLibraryError,
  type AppImage,
  type AppName,
  type BuildMeta,
  type KeyInput,
  type LddEntry,
} from './spec.js';

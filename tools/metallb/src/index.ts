/** MetalLB as a test peer: build, cache and launch its controller and speaker. */
export { buildGoMod, metallbLdflags, METALLB_COMMANDS, METALLB_MODULE, METALLB_VERSION, toolsGo, type MetallbCommand } from './versions.js';
export { artifactDir, binaryPaths, buildInfo, cacheKey, ensureMetallb, goSkipReason, metallbCacheDir, withLock, type BuildInfo, type EnsureOptions, type MetallbBinaries } from './build.js';
export { controllerArgs, DEFAULT_NAMESPACE, freePort, metallbCrdDir, speakerArgs, startController, startSpeaker, type LaunchOptions, type MetallbProcess, type SpeakerOptions } from './launch.js';

/** MetalLB as a test peer: build, cache and launch its controller and speaker. */
export const METALLB_VERSION = 'v0.15.2';

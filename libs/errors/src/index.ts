export { assertNever, UnreachableError } from './never.js';
export { CodecDecodeError, isCodecDecodeError } from './decode-error.js';

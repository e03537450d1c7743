import * as errors from '@metallb-ts/errors';
import { describe, expect, it } from 'vitest';
import * as bgp from './index.js';

describe('public API seams shared with @metallb-ts/errors', () => {
  it('assertNever is still exported, as the shared one', () => {
    expect(bgp.assertNever).toBe(errors.assertNever);
    expect(() => bgp.assertNever({ type: 'x' } as never, 'BGP message type')).toThrow(errors.UnreachableError);
  });

  it('DecodeError and BgpDecodeError are codec decode errors (reason, offset, detail)', () => {
    const e = new bgp.BgpDecodeError('bad-marker', 3, 'marker is not all ones', { code: 1, subcode: 1 });
    expect(e).toBeInstanceOf(bgp.DecodeError);
    expect(errors.isCodecDecodeError(e)).toBe(true);
    expect([e.name, e.reason, e.offset, e.detail, e.code, e.subcode, e.data.length, e.handling]).toEqual(['BgpDecodeError', 'bad-marker', 3, 'marker is not all ones', 1, 1, 0, 'session-reset']);
    expect(e.message).toBe('BGP decode error at byte 3: marker is not all ones (bad-marker; NOTIFICATION 1/1, session-reset)');
  });
});

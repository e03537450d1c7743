import { describe, expect, it } from 'vitest';
import { METALLB_VERSION } from './index.js';

describe('metallb-peer', () => {
  it('pins one MetalLB release', () => {
    expect(METALLB_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});

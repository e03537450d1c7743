import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labManifest } from './demo.js';

const examples = join(import.meta.dirname, '..', '..', '..', 'deploy', 'examples');

describe('labManifest', () => {
  it("moves the guide's pool and peer address into the lab and keeps everything else", () => {
    const pool = readFileSync(join(examples, 'ipaddresspool.yaml'), 'utf8');
    const moved = labManifest(pool, '198.51.100.2');
    expect(moved).toContain('198.51.100.101-198.51.100.150');
    expect(moved).not.toContain('10.0.0.');
    expect(moved.replace('198.51.100.101-198.51.100.150', '10.0.0.101-10.0.0.150')).toBe(pool);
    const bgp = labManifest(readFileSync(join(examples, 'bgp.yaml'), 'utf8'), '198.51.100.2');
    expect(bgp).toContain('peerAddress: 198.51.100.2');
    expect(bgp).toContain('myASN: 64500');
    expect(bgp).not.toMatch(/10\.0\.0\./);
  });
});

import { describe, expect, it } from 'vitest';
import { checkBgpPassword, checkMemberlistSecret } from './secrets.js';

describe('checkBgpPassword', () => {
  it.each<[string, string]>([
    ['s3cret', 's3cret'],
    ['s3cret\n', 's3cret'],
    ['s3cret\r\n', 's3cret'],
    ['two words \n', 'two words '],
    ['a'.repeat(80) + '\n', 'a'.repeat(80)],
  ])('%j → %j (one trailing newline stripped, nothing else)', (text, want) => {
    expect(checkBgpPassword(text)).toEqual({ kind: 'ok', value: want });
  });
  it.each([[''], ['\n'], ['a'.repeat(81)], ['a'.repeat(81) + '\n']])('%j is refused without echoing it', (text) => {
    const c = checkBgpPassword(text);
    expect(c).toMatchObject({ kind: 'refused', problem: expect.stringMatching(/^1–80 characters \(TCP MD5 key\), got \d+$/) });
  });
});

describe('checkMemberlistSecret', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it.each([[''], [' '], ['\n'], [' \t\r\n ']])('%j is refused (a derivable key)', (s) => {
    const c = checkMemberlistSecret(enc(s));
    expect(c.kind).toBe('refused');
    expect(c.kind === 'refused' && c.problem).toMatch(s === '' ? /the secret is empty, so anyone could derive the key/ : /only whitespace/);
  });
  it('keeps a real secret byte for byte, trailing newline included (as MetalLB)', () => {
    const b = enc('c2VjcmV0\n');
    expect(checkMemberlistSecret(b)).toEqual({ kind: 'ok', value: b });
    expect(checkMemberlistSecret(new Uint8Array([0]))).toMatchObject({ kind: 'ok' });
  });
});

import { createLogger } from '@metallb-ts/app-runtime';
import { describe, expect, it } from 'vitest';
import { libraryFields, memberlistLogger } from './memberlist-driver.js';

describe('memberlist library log fields', () => {
  it('the peer named `node` by the library becomes `member`; other fields are kept', () => {
    expect(libraryFields({ node: 'n3', seqNo: 7 })).toEqual({ member: 'n3', seqNo: 7 });
    expect(libraryFields({ node: 'n3', member: 'n2' })).toEqual({ member: 'n2', memberNode: 'n3' });
    expect(libraryFields({ addr: '198.51.100.12:7946' })).toEqual({ addr: '198.51.100.12:7946' });
    expect(libraryFields(undefined)).toBeUndefined();
  });

  it("the speaker's own `node` field survives a library line (n2 does not print node=n3)", () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l), fields: { node: 'n2' } }).child({ op: 'memberlist' });
    const ml = memberlistLogger(log);
    ml.warn('failed ping', { node: 'n3', reason: 'timeout' });
    ml.debug('probe', { node: 'n1' });
    ml.info('no fields');
    ml.error('x', { node: 'n3' });
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => [r['level'], r['node'], r['member']])).toEqual([
      ['warn', 'n2', 'n3'],
      ['debug', 'n2', 'n1'],
      ['info', 'n2', undefined],
      ['error', 'n2', 'n3'],
    ]);
    expect(recs[0]).toMatchObject({ op: 'memberlist', msg: 'failed ping', reason: 'timeout' });
  });
});

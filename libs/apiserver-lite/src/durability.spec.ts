/**
 * Issue 15 §4: an acknowledged write survives a crash. Every committed transaction goes to a
 * write-ahead log before the call returns; recovery is snapshot + log replay (torn tail ignored).
 * A "crash" here is building a new store on the same persistence without `flush`/`close`.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { Api } from './api.js';
import { StatusError } from './errors.js';
import { PATCH_TYPES } from './patch-types.js';
import { MemoryPersistence, SnapshotError, SnapshotFile } from './snapshot-file.js';
import type { ChangeEvent, LogRecord, Persistence, Snapshot } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'apiserver-lite-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock = new ManualClock();
const boot = (persistence: Persistence, seed = 1) => {
  const api = new Api({ clock, rng: new SeededRng(seed), persistence });
  return { api, cm: api.mustType('', 'v1', 'configmaps'), svc: api.mustType('', 'v1', 'services') };
};
const cmBody = (name: string, v = 'x') => ({ metadata: { name }, data: { v } });

function replayed(api: Api, key: string, from: number): string[] {
  const out: ChangeEvent[] = [];
  api.store.watch({ key, send: (e) => out.push(e) }, from)();
  return out.map((e) => `${e.type} ${e.object.metadata.name} ${e.rv}`);
}

describe('regression: an acknowledged write is not lost by a crash (issue 15 §4)', () => {
  it('every write that returned is there after a crash, with its uid, resourceVersion and watch history', () => {
    const p = new MemoryPersistence({ log: true });
    const a = boot(p);
    const start = a.api.store.currentRv();
    const made = [a.api.create(a.cm, 'default', cmBody('one')), a.api.create(a.svc, 'default', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } })];
    a.api.patch(a.cm, 'default', 'one', PATCH_TYPES.merge, { data: { v: 'y' } });
    a.api.create(a.cm, 'default', cmBody('two'));
    a.api.delete(a.cm, 'default', 'two');
    // kill -9: no flush, no timer ran (the ManualClock never advanced).
    const b = boot(p, 2);
    expect(b.api.get(a.cm, 'default', 'one')).toEqual(a.api.get(a.cm, 'default', 'one'));
    expect(b.api.get(a.cm, 'default', 'one').data).toEqual({ v: 'y' });
    expect(b.api.get(a.svc, 'default', 'web').metadata.uid).toBe(made[1]!.metadata.uid);
    expect(() => b.api.get(a.cm, 'default', 'two')).toThrow(expect.objectContaining({ code: 404 }));
    expect(b.api.store.currentRv()).toBe(a.api.store.currentRv());
    expect(replayed(b.api, '/configmaps', start)).toEqual(replayed(a.api, '/configmaps', start));
    // The recovered Service's ClusterIP is not handed out again.
    expect(b.api.create(b.svc, 'default', { metadata: { name: 'other' }, spec: {} }).spec.clusterIP).not.toBe(made[1]!.spec.clusterIP);
    // Recovery compacted the log into a snapshot.
    expect(p.logLength).toBe(1);
  });

  it('test hooks that change state without events (silentRemove, compact) are logged too', () => {
    const p = new MemoryPersistence({ log: true });
    const a = boot(p);
    a.api.create(a.cm, 'default', cmBody('lost'));
    a.api.create(a.cm, 'default', cmBody('kept'));
    a.api.store.silentRemove('/configmaps', 'default', 'lost');
    const b = boot(p);
    expect(b.api.store.get('/configmaps', 'default', 'lost')).toBeUndefined();
    expect(b.api.store.get('/configmaps', 'default', 'kept')).toBeDefined();
    expect(b.api.store.oldestWatchableRv()).toBe(a.api.store.oldestWatchableRv());
    expect(b.api.store.currentRv()).toBe(a.api.store.currentRv());
  });

  it('a write whose log append fails answers 500 and changes nothing', () => {
    let fail = false;
    const inner = new MemoryPersistence({ log: true });
    const p: Persistence = {
      load: () => inner.load(),
      save: (s: Snapshot) => inner.save(s),
      loadLog: () => inner.loadLog(),
      append: (r: LogRecord) => {
        if (fail) throw new Error('ENOSPC: no space left on device');
        inner.append!(r);
      },
    };
    const a = boot(p);
    const rv = a.api.store.currentRv();
    const seen: ChangeEvent[] = [];
    a.api.store.watch({ key: '/configmaps', send: (e) => seen.push(e) }, rv);
    fail = true;
    let err: unknown;
    try {
      a.api.create(a.cm, 'default', cmBody('nope'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(500);
    expect((err as StatusError).message).toBe('Internal error occurred: the write could not be persisted: ENOSPC: no space left on device');
    expect(a.api.store.get('/configmaps', 'default', 'nope')).toBeUndefined();
    expect(a.api.store.currentRv()).toBe(rv);
    expect(seen).toEqual([]);
    fail = false;
    a.api.create(a.cm, 'default', cmBody('yes'));
    expect(boot(p).api.store.get('/configmaps', 'default', 'yes')).toBeDefined();
  });
});

describe('SnapshotFile with a write-ahead log', () => {
  it('recovers snapshot + log, ignores a torn last line, and compacts on start', () => {
    const file = join(dir, 'torn.json');
    const a = boot(new SnapshotFile(file));
    a.api.create(a.cm, 'default', cmBody('a'));
    a.api.create(a.cm, 'default', cmBody('b'));
    const lines = readFileSync(`${file}.log`, 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ events: [{ type: 'ADDED', key: '/configmaps', object: { metadata: { name: 'b' } } }] });
    // A crash in the middle of the next append: half a line.
    appendFileSync(`${file}.log`, '{"seq":99,"from":1,"rv":2,"events":[{"type":"ADDED","key":"/configmaps","object":{"metadata":{"na');
    const b = boot(new SnapshotFile(file));
    expect(b.api.store.list('/configmaps', 'default').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(statSync(`${file}.log`).size).toBe(0);
    // Appends after recovery start on a clean line.
    b.api.create(b.cm, 'default', cmBody('c'));
    expect(boot(new SnapshotFile(file)).api.store.list('/configmaps', 'default').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('an unterminated last line is dropped even when it parses (its write was cut before the newline)', () => {
    const file = join(dir, 'unterminated.json');
    const a = boot(new SnapshotFile(file));
    a.api.create(a.cm, 'default', cmBody('a'));
    const log = readFileSync(`${file}.log`, 'utf8');
    const last = log.trimEnd().split('\n').at(-1)!;
    writeFileSync(`${file}.log`, log.slice(0, log.length - last.length - 1));
    appendFileSync(`${file}.log`, last);
    expect(new SnapshotFile(file).loadLog().map((r) => r.seq)).not.toContain((JSON.parse(last) as LogRecord).seq);
  });

  it('refuses a log corrupted before its last line, naming the file and line', () => {
    const file = join(dir, 'corrupt.json');
    const a = boot(new SnapshotFile(file));
    a.api.create(a.cm, 'default', cmBody('a'));
    const good = readFileSync(`${file}.log`, 'utf8');
    writeFileSync(`${file}.log`, `garbage\n${good}`);
    expect(() => new SnapshotFile(file).loadLog()).toThrow(SnapshotError);
    expect(() => new SnapshotFile(file).loadLog()).toThrow(/corrupt\.json\.log.*line 1 of the write-ahead log is not JSON/);
  });

  it('skips records the snapshot already holds (a crash between the snapshot rename and the log truncation)', () => {
    const file = join(dir, 'overlap.json');
    const a = boot(new SnapshotFile(file));
    a.api.create(a.cm, 'default', cmBody('a'));
    a.api.patch(a.cm, 'default', 'a', PATCH_TYPES.merge, { data: { v: '2' } });
    const log = readFileSync(`${file}.log`, 'utf8');
    a.api.store.flush(); // snapshot written, log truncated …
    writeFileSync(`${file}.log`, log); // … as if the truncation never happened
    const b = boot(new SnapshotFile(file));
    expect(b.api.get(a.cm, 'default', 'a').data).toEqual({ v: '2' });
    expect(b.api.store.currentRv()).toBe(a.api.store.currentRv());
  });

  it('compacts the log into the snapshot once it outgrows compactBytes and the snapshot', () => {
    const file = join(dir, 'compact.json');
    const a = boot(new SnapshotFile(file, { compactBytes: 1 }));
    for (let i = 0; i < 20; i++) {
      a.api.create(a.cm, 'default', cmBody(`c${i}`, 'x'.repeat(200)));
      clock.advance(1000); // the store compacts on its (injected) timer
    }
    expect(statSync(`${file}.log`).size).toBeLessThan(statSync(file).size);
    expect(boot(new SnapshotFile(file)).api.store.list('/configmaps', 'default')).toHaveLength(20);
  });

  it("durability 'none' keeps the old debounced snapshots: no log file", () => {
    const file = join(dir, 'none.json');
    const p = new SnapshotFile(file, { durability: 'none' });
    expect(p.append).toBeUndefined();
    const a = boot(p);
    a.api.create(a.cm, 'default', cmBody('a'));
    a.api.store.close();
    expect(() => statSync(`${file}.log`)).toThrow();
    expect(boot(new SnapshotFile(file, { durability: 'none' })).api.store.get('/configmaps', 'default', 'a')).toBeDefined();
  });
});

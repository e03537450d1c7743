import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Persistence, Snapshot } from './store.js';

/** A snapshot file could not be read. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot load snapshot "${path}": ${reason}; delete it or point --snapshot elsewhere`);
  }
}

/**
 * Persists the store as one JSON file, written atomically (temporary file, then rename), so a
 * crash never leaves a half-written snapshot. Loading a missing file yields an empty store.
 */
export class SnapshotFile implements Persistence {
  constructor(readonly path: string) {}

  load(): Snapshot | undefined {
    if (!existsSync(this.path)) return undefined;
    let s: Snapshot;
    try {
      s = JSON.parse(readFileSync(this.path, 'utf8')) as Snapshot;
    } catch (e) {
      throw new SnapshotError(this.path, (e as Error).message);
    }
    if (s?.format !== 'apiserver-lite/v1' || typeof s.rv !== 'number' || !Array.isArray(s.objects)) throw new SnapshotError(this.path, 'not an apiserver-lite/v1 snapshot');
    return s;
  }

  save(s: Snapshot): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, this.path);
  }
}

/** Keeps the last snapshot in memory: simulates a restart without a file (tests). */
export class MemoryPersistence implements Persistence {
  private last: string | undefined;
  load(): Snapshot | undefined {
    return this.last === undefined ? undefined : (JSON.parse(this.last) as Snapshot);
  }
  save(s: Snapshot): void {
    this.last = JSON.stringify(s);
  }
}

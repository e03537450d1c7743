import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogRecord, Persistence, Snapshot } from './store.js';

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
 * How a {@link SnapshotFile} makes writes last:
 * - `fsync`: every committed write is appended to the log and `fsync`ed before it is
 *   acknowledged; it survives `kill -9` and a machine crash.
 * - `write`: appended without `fsync`; survives `kill -9` (the kernel has it), not a power loss.
 * - `none`: no log; the snapshot is rewritten debounced (≥ 50 ms), so a crash loses the last
 *   writes even though they were acknowledged. Fastest.
 */
export type Durability = 'fsync' | 'write' | 'none';

/** Options of {@link SnapshotFile}. */
export interface SnapshotFileOptions {
  /** @default 'fsync' */
  durability?: Durability;
  /** The log is compacted into the snapshot once it is larger than this and than the snapshot. @default 4 MiB */
  compactBytes?: number;
}

/** Defaults of {@link SnapshotFileOptions}. */
export const SNAPSHOT_FILE_DEFAULTS = { durability: 'fsync', compactBytes: 4 * 1024 * 1024 } as const satisfies Required<SnapshotFileOptions>;

/**
 * Persists the store in two files: the snapshot `path` (one JSON document, replaced atomically:
 * temporary file, `fsync`, rename, directory `fsync`) and, unless durability is `none`, the
 * write-ahead log `path.log` (one JSON {@link LogRecord} per line, one line per committed
 * transaction). Recovery is the snapshot plus the log records after its `seq`; a torn last
 * line — a write cut short by a crash, never acknowledged — is ignored. The log is compacted
 * into a new snapshot when it outgrows both `compactBytes` and the snapshot (each logged byte
 * costs at most one rewritten snapshot byte), and on a clean stop.
 */
export class SnapshotFile implements Persistence {
  /** The write-ahead log's path. */
  readonly logPath: string;
  readonly durability: Durability;
  private readonly compactBytes: number;
  private fd: number | undefined;
  private logBytes = 0;
  private snapshotBytes = 0;
  /** Present only with a log: the store then logs every transaction (see {@link Persistence}). */
  readonly append?: (r: LogRecord) => void;
  /**
   * Present with `fsync`: makes every appended record durable. `append` only writes, so the
   * store can sync many records with one `fsync` (group commit).
   */
  readonly sync?: () => void;
  /** Records were written since the last `fsync` of the log. */
  private unsynced = false;

  constructor(
    readonly path: string,
    opts: SnapshotFileOptions = {},
  ) {
    this.logPath = `${path}.log`;
    this.durability = opts.durability ?? SNAPSHOT_FILE_DEFAULTS.durability;
    this.compactBytes = opts.compactBytes ?? SNAPSHOT_FILE_DEFAULTS.compactBytes;
    if (this.durability !== 'none') this.append = (r) => this.appendRecord(r);
    if (this.durability === 'fsync') this.sync = () => this.syncLog();
  }

  load(): Snapshot | undefined {
    if (!existsSync(this.path)) return undefined;
    let s: Snapshot;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
      s = JSON.parse(text) as Snapshot;
    } catch (e) {
      throw new SnapshotError(this.path, (e as Error).message);
    }
    if (s?.format !== 'apiserver-lite/v1' || typeof s.rv !== 'number' || !Array.isArray(s.objects)) throw new SnapshotError(this.path, 'not an apiserver-lite/v1 snapshot');
    this.snapshotBytes = Buffer.byteLength(text);
    return s;
  }

  /** The log records after the last compaction; a torn (unparsable or unterminated) last line is dropped. */
  loadLog(): LogRecord[] {
    if (this.durability === 'none' || !existsSync(this.logPath)) return [];
    const text = readFileSync(this.logPath, 'utf8');
    this.logBytes = Buffer.byteLength(text);
    const lines = text.split('\n');
    let lastLine = lines.length - 1;
    while (lastLine > 0 && lines[lastLine] === '') lastLine--;
    const out: LogRecord[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const last = i === lastLine;
      let r: LogRecord;
      try {
        r = JSON.parse(line) as LogRecord;
      } catch (e) {
        // Only the tail can be torn by a crash; anything else is corruption.
        if (last) break;
        throw new SnapshotError(this.logPath, `line ${i + 1} of the write-ahead log is not JSON (${(e as Error).message})`);
      }
      // An unterminated last line was cut short after its JSON: the write was never acknowledged.
      if (last && i === lines.length - 1) break;
      if (typeof r?.seq !== 'number' || !Array.isArray(r.events)) throw new SnapshotError(this.logPath, `line ${i + 1} is not an apiserver-lite log record`);
      out.push(r);
    }
    return out;
  }

  save(s: Snapshot): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const text = JSON.stringify(s);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      if (this.durability === 'fsync') fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (this.durability === 'fsync') syncDir(dirname(this.path));
    this.snapshotBytes = Buffer.byteLength(text);
    // The snapshot holds every record so far (its `seq`): the log can start over. A crash before
    // the truncation is harmless: recovery skips records the snapshot already includes.
    if (this.durability !== 'none' && (this.fd !== undefined || existsSync(this.logPath))) {
      const log = this.logFd();
      ftruncateSync(log, 0);
      if (this.durability === 'fsync') fsyncSync(log);
      this.logBytes = 0;
      this.unsynced = false;
    }
  }

  shouldCompact(): boolean {
    return this.logBytes > Math.max(this.compactBytes, this.snapshotBytes);
  }

  /** Closes the log file (the store's last `save` already compacted it). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private logFd(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.logPath), { recursive: true });
      const created = !existsSync(this.logPath);
      this.fd = openSync(this.logPath, 'a');
      this.logBytes = statSync(this.logPath).size;
      // A new file's directory entry must be durable too, or the log could vanish with its records.
      if (created && this.durability === 'fsync') syncDir(dirname(this.logPath));
    }
    return this.fd;
  }

  private appendRecord(r: LogRecord): void {
    const fd = this.logFd();
    const line = Buffer.from(`${JSON.stringify(r)}\n`);
    let off = 0;
    while (off < line.length) off += writeSync(fd, line, off);
    this.logBytes += line.length;
    this.unsynced = true;
  }

  private syncLog(): void {
    if (!this.unsynced || this.fd === undefined) return;
    fsyncSync(this.fd);
    this.unsynced = false;
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps the last snapshot in memory: simulates a restart without a file (tests). With
 * `{ log: true }` it also keeps a write-ahead log, so a store built on it after a "crash" (no
 * `flush`) recovers every committed write, as with a {@link SnapshotFile}.
 */
export class MemoryPersistence implements Persistence {
  private last: string | undefined;
  private records: string[] = [];
  /** Present with `{ log: true }`. */
  readonly append?: (r: LogRecord) => void;

  constructor(opts: { log?: boolean } = {}) {
    if (opts.log) this.append = (r) => void this.records.push(JSON.stringify(r));
  }

  load(): Snapshot | undefined {
    return this.last === undefined ? undefined : (JSON.parse(this.last) as Snapshot);
  }
  save(s: Snapshot): void {
    this.last = JSON.stringify(s);
    this.records = [];
  }
  loadLog(): LogRecord[] {
    return this.records.map((r) => JSON.parse(r) as LogRecord);
  }
  /** Number of log records since the last save. */
  get logLength(): number {
    return this.records.length;
  }
}

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from './migrations';

export type Db = Database.Database;

/** An open library database (all projects live in one file) plus the clock its records use. */
export interface Library {
  readonly db: Db;
  readonly file: string;
  /** Milliseconds since the epoch; injectable so tests can step time (undo coalescing). */
  now(): number;
  close(): void;
}

export interface OpenLibraryOptions {
  /**
   * Path of a better_sqlite3.node built for the running ABI. Inside Electron the app passes the
   * Electron-ABI build while tests and the CLI use the plain Node build from node_modules.
   */
  nativeBinding?: string;
  /** Milliseconds to wait on a lock held by another connection before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  now?: () => number;
}

/**
 * Open (creating if needed) the library database and bring it to the latest schema.
 *
 * journal_mode=WAL: readers never block the writer, and a crash mid-write leaves the last
 * committed state (the WAL is replayed or discarded on open).
 * synchronous=NORMAL: in WAL mode this is still safe against corruption and against a crash of
 * the app or the OS process; only a power loss can roll back the last few commits. Losing the
 * newest mixer tweak on power loss is acceptable for an editor, and the direction of any loss is
 * safe: stem files are fsynced before their row is written, so at worst a complete file has no row,
 * never a row without its file. FULL would fsync the WAL on every commit, which costs a disk flush
 * on every fader drag step.
 * foreign_keys=ON: SQLite ships with it off; the schema relies on cascades.
 */
export function openLibrary(file: string, options: OpenLibraryOptions = {}): Library {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (file !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch ${file} to WAL mode (got ${mode})`);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const now = options.now ?? Date.now;
  return {
    db,
    file,
    now,
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** Run fn in one IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks). */
export function tx<T>(lib: Library, fn: () => T): T {
  if (lib.db.inTransaction) return fn();
  return lib.db.transaction(fn).immediate();
}

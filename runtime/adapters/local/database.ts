import { Database, SQLiteError } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DurableError, StoreUnavailableError } from "../../core/errors.ts";
import { ADDED_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION, TIMERS_BY_ID_MIGRATION } from "./schema.ts";

export interface LocalDbOptions {
  /** How long a writer waits for another process's write transaction before giving up. */
  busyTimeoutMs?: number;
  /**
   * "full" syncs the WAL on every commit, so an acknowledged commit survives a power cut;
   * "normal" is faster and only risks the last commits on power loss (never corruption).
   */
  durability?: "full" | "normal";
}

const SCHEMA_NAMES = new Set([
  "leases",
  "actors",
  "markers",
  "history",
  "steps",
  "messages",
  "timers",
  "waiting",
  "blobs",
]);
/** Errors that mean "the store did not answer", not "the request was wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

/**
 * One connection to the local fabric's file, shared by every port of one process. All statements
 * are synchronous, so a transaction never spans an `await` and cannot interleave with another
 * turn of the same process; other processes are kept out by SQLite's write lock.
 */
export class LocalDb {
  readonly sqlite: Database;
  readonly path: string;

  constructor(path: string, options: LocalDbOptions = {}) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.sqlite = guard(() => new Database(path, { create: true, strict: true }));
    try {
      this.configure(options);
      this.migrate();
    } catch (error) {
      this.sqlite.close();
      throw mapSqliteError(error);
    }
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
   * read-then-write never fails on a snapshot another process made stale.
   */
  write<T>(fn: () => T): T {
    return this.transaction("BEGIN IMMEDIATE", fn);
  }

  /** Runs `fn` on one consistent snapshot (several SELECTs that must agree). */
  read<T>(fn: () => T): T {
    return this.transaction("BEGIN DEFERRED", fn);
  }

  close(): void {
    this.sqlite.close();
  }

  private transaction<T>(begin: string, fn: () => T): T {
    if (this.sqlite.inTransaction) throw new Error("local fabric: nested transaction");
    return guard(() => {
      this.sqlite.query(begin).run();
      try {
        const result = fn();
        this.sqlite.query("COMMIT").run();
        return result;
      } catch (error) {
        if (this.sqlite.inTransaction) this.sqlite.query("ROLLBACK").run();
        throw error;
      }
    });
  }

  private configure(options: LocalDbOptions): void {
    // The busy timeout comes first so every later statement, pragmas included, waits for other processes.
    this.sqlite.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 10_000))}`);
    if (this.path !== ":memory:") {
      const row = this.sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get();
      if (row?.journal_mode.toLowerCase() !== "wal") {
        throw new StoreUnavailableError(`could not switch ${this.path} to WAL mode`, {
          hint: "the local fabric needs a file system that supports shared memory (not a network share)",
        });
      }
    }
    this.sqlite.run(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
  }

  private migrate(): void {
    this.write(() => {
      const current = this.sqlite.query<{ user_version: number }, []>("PRAGMA user_version").get();
      const version = current?.user_version ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new StoreUnavailableError(
          `${this.path} was written by a newer durable (schema ${version}, this one knows ${SCHEMA_VERSION})`,
          { hint: "upgrade durable, or delete the .durable directory to start over" },
        );
      }
      if (version === SCHEMA_VERSION && this.hasTables()) return;
      // Decided by the table's shape rather than by `version`, so a file of any older schema that
      // still keys timers by name is rebuilt, and a fresh one (no table yet) is left to SCHEMA_SQL.
      if (this.timersKeyedByName()) this.sqlite.run(TIMERS_BY_ID_MIGRATION);
      this.addMissingColumns();
      this.sqlite.run(SCHEMA_SQL);
      this.sqlite.run(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  /** Columns newer schemas added, on the tables of an older file (a fresh file gets them from SCHEMA_SQL). */
  private addMissingColumns(): void {
    for (const { table, column, definition } of ADDED_COLUMNS) {
      // table_xinfo, not table_info: only it lists generated columns (actors.fleet_key).
      const columns = this.sqlite
        .query<{ name: string }, [string]>("SELECT name FROM pragma_table_xinfo(?)")
        .all(table)
        .map((row) => row.name);
      if (columns.length > 0 && !columns.includes(column)) {
        this.sqlite.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
    }
  }

  private timersKeyedByName(): boolean {
    const keys = this.sqlite
      .query<{ name: string }, []>("SELECT name FROM pragma_table_info('timers') WHERE pk > 0")
      .all();
    return keys.some((key) => key.name === "name");
  }

  private hasTables(): boolean {
    const rows = this.sqlite
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all();
    const names = new Set(rows.map((row) => row.name));
    return [...SCHEMA_NAMES].every((name) => names.has(name));
  }
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw mapSqliteError(error);
  }
}

/** Runtime errors pass through; SQLite's "could not answer" errors become StoreUnavailableError. */
export function mapSqliteError(error: unknown): unknown {
  if (error instanceof DurableError) return error;
  if (error instanceof SQLiteError && UNAVAILABLE.test(error.code ?? "")) {
    return new StoreUnavailableError(`local fabric database: ${error.message}`, {
      cause: error,
      hint: "another process may hold the database for too long; retry, or check .durable/local.db",
      details: { code: error.code },
    });
  }
  return error;
}

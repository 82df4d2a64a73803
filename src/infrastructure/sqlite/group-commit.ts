import type Database from 'better-sqlite3';

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export type UnitOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** How long a group waits for the file's write lock, held by another connection, before failing. */
const LOCK_WAIT_MS = 30_000;
/** The pause between two tries for the lock. */
const LOCK_RETRY_MS = 1;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * One group transaction on one SQLite connection: runs units of work synchronously, in order, in one
 * `BEGIN IMMEDIATE … COMMIT`, so each unit sees the units before it. A unit that throws is rolled
 * back alone and its outcome is its error; the others are kept. Returns once the COMMIT has
 * completed, so every outcome is as durable as the connection's `synchronous` setting makes a commit.
 * If the transaction itself fails (disk full, I/O error, the write lock not had within LOCK_WAIT_MS,
 * a constraint checked at COMMIT), it is rolled back whole and `run` throws that error: nothing of
 * the group is stored.
 *
 * Units first run without savepoints: when none throws, which is nearly always, the group commits as
 * it is. Otherwise the transaction is rolled back and the group runs again with each unit in a
 * savepoint of its own (so a unit must change nothing but the database: it may run twice). A
 * savepoint costs two statements more per unit, and copies every page the unit first changes into a
 * sub-journal: in the data generator's event writer (one transaction for ~260 appends) the
 * sub-journal alone was 6 % of its time.
 */
export class GroupTransaction {
  private readonly begin: Database.Statement<[]>;
  private readonly commit: Database.Statement<[]>;
  private readonly rollback: Database.Statement<[]>;
  private readonly savepoint: Database.Statement<[]>;
  private readonly release: Database.Statement<[]>;
  private readonly rollbackToSavepoint: Database.Statement<[]>;
  /** The connection's own busy timeout, in ms, set back once the lock is taken. */
  private readonly busyTimeout: number;

  /** `began` runs after each BEGIN, with the write lock held (the group's rerun begins again). */
  constructor(
    private readonly db: Database.Database,
    private readonly began: () => void = () => {},
  ) {
    this.busyTimeout = Number(db.pragma('busy_timeout', { simple: true }));
    // IMMEDIATE: the write lock is taken at the start (see takeWriteLock), so a group waits for
    // other connections before it begins instead of failing half-way.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT unit');
    this.release = db.prepare('RELEASE unit');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO unit');
  }

  run<T>(units: readonly (() => T)[]): UnitOutcome<T>[] {
    this.takeWriteLock();
    try {
      this.began();
      let outcomes = this.runTogether(units);
      if (!outcomes) {
        // A unit failed: nothing of the group is kept, and it runs again unit by unit (the lock is
        // taken again: another connection may commit in between, and the units then see it).
        if (this.db.inTransaction) this.rollback.run();
        this.takeWriteLock();
        this.began();
        outcomes = this.runEachInSavepoint(units);
      }
      this.commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      throw error;
    }
  }

  /** Every unit's value, or null as soon as one throws (the transaction then holds a part of it). */
  private runTogether<T>(units: readonly (() => T)[]): UnitOutcome<T>[] | null {
    const outcomes: UnitOutcome<T>[] = [];
    for (const work of units) {
      try {
        outcomes.push({ ok: true, value: work() });
      } catch {
        return null;
      }
    }
    return outcomes;
  }

  private runEachInSavepoint<T>(units: readonly (() => T)[]): UnitOutcome<T>[] {
    const outcomes: UnitOutcome<T>[] = [];
    for (const work of units) {
      this.savepoint.run();
      try {
        const value = work();
        this.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        this.rollbackToSavepoint.run();
        this.release.run();
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  /**
   * BEGIN IMMEDIATE, tried every millisecond while another connection holds the lock. SQLite's own
   * busy handler sleeps longer and longer between its tries (up to 100 ms), so a writer that
   * commits back to back, taking the lock again at once, could keep this one waiting past its busy
   * timeout: the data generator's two lanes, each with its own event writer, failed that way under
   * `--cpu-prof`. Trying often catches the gaps between the other's transactions.
   */
  private takeWriteLock(): void {
    const deadline = Date.now() + LOCK_WAIT_MS;
    // exec, not a prepared statement: SQLite applies this pragma when it prepares it.
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      for (;;) {
        try {
          this.begin.run();
          return;
        } catch (error) {
          if (!isBusy(error) || Date.now() >= deadline) throw error;
          Atomics.wait(PAUSE, 0, 0, LOCK_RETRY_MS);
        }
      }
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeout}`);
    }
  }
}

/**
 * Group commit on the event loop of the connection's own thread: units of work that arrive in the
 * same turn of the event loop share one GroupTransaction, and so one fsync, committed on the next
 * turn (setImmediate). Every promise settles only after the COMMIT: a unit's promise resolves with
 * its value or rejects with its own error; if the transaction fails, every unit rejects with that
 * error. (The event store does the same across threads: see event-writer.ts.)
 */
export class GroupCommit {
  private readonly transaction: GroupTransaction;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(db: Database.Database) {
    this.transaction = new GroupTransaction(db);
  }

  /** Runs `work` in the next group transaction; settles once that transaction has committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is pending now (also called before the connection closes). */
  flush(): void {
    this.scheduled = false;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    let outcomes: UnitOutcome<unknown>[];
    try {
      outcomes = this.transaction.run(group.map((unit) => unit.work));
    } catch (error) {
      for (const unit of group) unit.reject(error);
      return;
    }
    group.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}

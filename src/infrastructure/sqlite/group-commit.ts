import type Database from 'better-sqlite3';

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for one SQLite connection: units of work that arrive in the same turn of the event
 * loop share one write transaction, and so one fsync, committed on the next turn (setImmediate).
 *
 * Each unit runs synchronously inside its own savepoint, in arrival order, and sees the units before
 * it. A unit that throws is rolled back alone and its promise rejects with its error; the others are
 * kept. Every promise settles only after the COMMIT, so a resolved unit is as durable as the
 * connection's `synchronous` setting makes a commit. If the transaction itself fails (disk full,
 * I/O error, lock timeout), the whole group is rolled back and every unit rejects with that error.
 */
export class GroupCommit {
  private readonly begin: Database.Statement<[]>;
  private readonly commit: Database.Statement<[]>;
  private readonly rollback: Database.Statement<[]>;
  private readonly savepoint: Database.Statement<[]>;
  private readonly release: Database.Statement<[]>;
  private readonly rollbackToSavepoint: Database.Statement<[]>;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {
    // IMMEDIATE: the write lock is taken at the start, so other processes wait (busy_timeout)
    // instead of failing half-way.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT unit');
    this.release = db.prepare('RELEASE unit');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO unit');
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
    let outcomes: Outcome[];
    try {
      outcomes = this.commitGroup(group);
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

  private commitGroup(group: readonly Pending[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.begin.run();
    try {
      for (const { work } of group) {
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
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      throw error;
    }
    return outcomes;
  }
}

import type Database from 'better-sqlite3';
import type {
  AccessLog,
  AccessLogEntry,
  AccessLogPage,
  PersonalField,
} from '../../application/ports/access-log';
import type { Role } from '../../domain/actor';
import { openDatabase } from './open-database';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS access_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    worker_id       TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    actor_role      TEXT NOT NULL,
    actor_agency_id TEXT,
    route           TEXT NOT NULL,
    fields          TEXT NOT NULL,
    correlation_id  TEXT,
    granted_by      TEXT
  );
  CREATE INDEX IF NOT EXISTS access_log_by_worker ON access_log (worker_id, seq);
  CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
`;

interface Row {
  readonly seq: number;
  readonly at: string;
  readonly worker_id: string;
  readonly actor_id: string;
  readonly actor_role: string;
  readonly actor_agency_id: string | null;
  readonly route: string;
  readonly fields: string;
  readonly correlation_id: string | null;
  readonly granted_by: string | null;
}

type InsertParams = [
  at: string,
  workerId: string,
  actorId: string,
  actorRole: string,
  actorAgencyId: string | null,
  route: string,
  fields: string,
  correlationId: string | null,
  grantedBy: string | null,
];

/**
 * The access log in its own SQLite file (`DATA_DIR/access-log.db`): not a read model, so a rebuild
 * never touches it. Triggers refuse UPDATE and DELETE; commits are durable (synchronous=FULL).
 */
export class SqliteAccessLog implements AccessLog {
  private readonly insert: Database.Statement<InsertParams>;
  private readonly page: Database.Statement<[string, number, number], Row>;
  private readonly total: Database.Statement<[string], number>;
  private readonly recordAll: Database.Transaction<(entries: readonly AccessLogEntry[]) => void>;
  private closed = false;

  private constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.insert = db.prepare(
      `INSERT INTO access_log (at, worker_id, actor_id, actor_role, actor_agency_id, route, fields,
         correlation_id, granted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.page = db.prepare('SELECT * FROM access_log WHERE worker_id = ? ORDER BY seq LIMIT ? OFFSET ?');
    this.total = db.prepare<[string], number>('SELECT count(*) FROM access_log WHERE worker_id = ?').pluck();
    this.recordAll = db.transaction((entries: readonly AccessLogEntry[]) => {
      for (const entry of entries) {
        this.insert.run(
          entry.at,
          entry.workerId,
          entry.actor.id,
          entry.actor.role,
          entry.actor.agencyId ?? null,
          entry.route,
          entry.fields.join(','),
          entry.correlationId ?? null,
          entry.grantedBy ?? null,
        );
      }
    });
  }

  static open(file: string): SqliteAccessLog {
    const db = openDatabase(file);
    try {
      return new SqliteAccessLog(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async record(entries: readonly AccessLogEntry[]): Promise<void> {
    if (entries.length > 0) this.recordAll(entries);
  }

  async forWorker(
    workerId: string,
    { limit, offset }: { limit: number; offset: number },
  ): Promise<AccessLogPage> {
    const items = this.page.all(workerId, limit, offset).map((row) => ({
      seq: row.seq,
      at: row.at,
      workerId: row.worker_id,
      actor: {
        id: row.actor_id,
        role: row.actor_role as Role,
        ...(row.actor_agency_id !== null ? { agencyId: row.actor_agency_id } : {}),
      },
      route: row.route,
      fields: row.fields.split(',').filter(Boolean) as PersonalField[],
      ...(row.correlation_id !== null ? { correlationId: row.correlation_id } : {}),
      ...(row.granted_by !== null ? { grantedBy: row.granted_by } : {}),
    }));
    return { total: this.total.get(workerId) ?? 0, items };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAccessLog } from '../../src/infrastructure/sqlite/sqlite-access-log';
import { describeAccessLogContract } from './access-log.contract';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'access-log-sqlite-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeAccessLogContract('SQLite', { open: async () => SqliteAccessLog.open(join(dir, 'access-log.db')) });

describe('SqliteAccessLog specifics', () => {
  it('is append-only: the file refuses updates and deletes', async () => {
    const file = join(dir, 'append-only.db');
    const log = SqliteAccessLog.open(file);
    await log.record([
      {
        at: '2026-11-24T08:00:00.000Z',
        workerId: 'w-1',
        actor: { id: 'op', role: 'agency_operator', agencyId: 'a' },
        route: 'GET /api/v1/workers/:id',
        fields: ['name'],
      },
    ]);
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE access_log SET actor_id = 'someone-else'").run()).toThrow(
        /append-only/,
      );
      expect(() => db.prepare('DELETE FROM access_log').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect((await log.forWorker('w-1', { limit: 10, offset: 0 })).items[0]?.actor.id).toBe('op');
    await log.close();
  });
});

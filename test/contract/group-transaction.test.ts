import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupTransaction } from '../../src/infrastructure/sqlite/group-commit';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { statementPrototype } from '../support/sqlite-statements';

/** The SQL of every statement run on any connection from now on. */
function watchStatements(): () => string[] {
  const run = jest.spyOn(statementPrototype(), 'run');
  return () => run.mock.contexts.map((statement) => (statement as Database.Statement).source);
}

describe('GroupTransaction: units together, or one by one when one fails', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-transaction-'));
    db = openDatabase(join(dir, 'group.db'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL UNIQUE)');
  });

  afterEach(() => {
    jest.restoreAllMocks();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const whoIsStored = (): string[] => db.prepare<[], string>('SELECT who FROM t ORDER BY id').pluck().all();

  it('runs a group whose units all succeed once each, in one transaction without savepoints', () => {
    const insert = db.prepare<[string]>('INSERT INTO t (who) VALUES (?)');
    const statements = watchStatements();
    const calls = [0, 0, 0];
    const units = ['a', 'b', 'c'].map((who, i) => () => {
      calls[i]! += 1;
      return Number(insert.run(who).lastInsertRowid);
    });

    const outcomes = new GroupTransaction(db).run(units);

    expect(outcomes).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 2 },
      { ok: true, value: 3 },
    ]);
    expect(calls).toEqual([1, 1, 1]);
    expect(statements().filter((sql) => /SAVEPOINT|RELEASE/.test(sql))).toEqual([]);
    expect(statements().filter((sql) => /BEGIN|COMMIT|ROLLBACK/.test(sql))).toEqual([
      'BEGIN IMMEDIATE',
      'COMMIT',
    ]);
    expect(whoIsStored()).toEqual(['a', 'b', 'c']);
  });

  it('when a unit fails after writing, keeps every other unit and nothing of that one', () => {
    const insert = db.prepare<[string]>('INSERT INTO t (who) VALUES (?)');
    db.exec("INSERT INTO t (who) VALUES ('taken')");
    const calls = [0, 0, 0];
    const seenByLast: string[][] = [];
    const units = [
      () => {
        calls[0]! += 1;
        return insert.run('first').changes;
      },
      () => {
        calls[1]! += 1;
        insert.run('half');
        return insert.run('taken').changes; // UNIQUE: fails after its first insert
      },
      () => {
        calls[2]! += 1;
        seenByLast.push(whoIsStored());
        return insert.run('last').changes;
      },
    ];

    const outcomes = new GroupTransaction(db).run(units);

    expect(outcomes[0]).toEqual({ ok: true, value: 1 });
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'SQLITE_CONSTRAINT_UNIQUE' } });
    expect(outcomes[2]).toEqual({ ok: true, value: 1 });
    expect(whoIsStored()).toEqual(['taken', 'first', 'last']);
    // The first try stopped at the failure; the second ran every unit in a savepoint of its own.
    expect(calls).toEqual([2, 2, 1]);
    expect(seenByLast).toEqual([['taken', 'first']]);
    expect(db.inTransaction).toBe(false);
  });

  it('throws and stores nothing when the COMMIT fails, whether or not a unit failed first', () => {
    const insert = db.prepare<[string]>('INSERT INTO t (who) VALUES (?)');
    // A deferred foreign key is checked only at COMMIT.
    db.exec(
      'CREATE TABLE child (id INTEGER PRIMARY KEY, ' +
        'parent INTEGER REFERENCES t(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const orphan = db.prepare('INSERT INTO child (parent) VALUES (999)');

    for (const units of [
      [() => insert.run('a').changes, () => orphan.run().changes],
      [() => insert.run('a').changes, () => insert.run('a').changes, () => orphan.run().changes],
    ]) {
      expect(() => new GroupTransaction(db).run(units)).toThrow(/FOREIGN KEY/);
      expect(whoIsStored()).toEqual([]);
      expect(db.inTransaction).toBe(false);
    }
  });
});

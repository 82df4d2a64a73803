import Database from 'better-sqlite3';

/** The prototype of better-sqlite3's statements, to watch or break what they run in this thread. */
export function statementPrototype(): Database.Statement {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Database.Statement;
  probe.close();
  return prototype;
}

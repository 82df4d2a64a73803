import Database from 'better-sqlite3';

export interface ReadModelDump {
  collections: Record<string, { id: string; doc: unknown }[]>;
  checkpoints: Record<string, number>;
  /**
   * Every index of the collections, as what it indexes (`UNIQUE ON "workers" (id)`): a file the
   * service made keys its documents by a primary key, a rebuilt one by a unique index built at the end.
   */
  indexes: string[];
}

/**
 * Every document of every collection in a read-model file, sorted, and every index, for comparing
 * two files.
 */
export async function readReadModels(file: string): Promise<ReadModelDump> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[];
    const dump: ReadModelDump = { collections: {}, checkpoints: {}, indexes: [] };
    const indexes = db
      .prepare(`SELECT name, tbl_name AS "table", sql FROM sqlite_master WHERE type = 'index'`)
      .all() as { name: string; table: string; sql: string | null }[];
    for (const { name, table, sql } of indexes) {
      if (table.startsWith('_') || table === 'checkpoints') continue;
      const unique = (db.pragma(`index_list("${table}")`) as { name: string; unique: number }[]).some(
        (index) => index.name === name && index.unique === 1,
      );
      const columns = (db.pragma(`index_info("${name}")`) as { name: string | null }[]).map((c) => c.name);
      const indexed = sql ? sql.slice(sql.indexOf(' ON ') + 1) : `ON "${table}" (${columns.join(', ')})`;
      dump.indexes.push(`${unique ? 'UNIQUE ' : ''}${indexed}`);
    }
    dump.indexes.sort();
    for (const { name } of tables) {
      // '_leases' (and any '_' table) is the store's bookkeeping, not a collection.
      if (name.startsWith('_')) continue;
      if (name === 'checkpoints') {
        for (const row of db.prepare('SELECT projection, position FROM checkpoints').all() as {
          projection: string;
          position: number;
        }[]) {
          dump.checkpoints[row.projection] = row.position;
        }
        continue;
      }
      const rows = db.prepare(`SELECT id, doc FROM "${name}" ORDER BY id`).all() as {
        id: string;
        doc: string;
      }[];
      dump.collections[name] = rows.map((row) => ({ id: row.id, doc: JSON.parse(row.doc) }));
    }
    return dump;
  } finally {
    db.close();
  }
}

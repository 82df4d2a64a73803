import Database from 'better-sqlite3';

export interface ReadModelDump {
  collections: Record<string, { id: string; doc: unknown }[]>;
  checkpoints: Record<string, number>;
}

/** Every document of every collection in a read-model file, sorted, for comparing two files. */
export async function readReadModels(file: string): Promise<ReadModelDump> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[];
    const dump: ReadModelDump = { collections: {}, checkpoints: {} };
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

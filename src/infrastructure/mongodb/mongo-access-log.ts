import { MongoClient, type Collection, type ObjectId } from 'mongodb';
import type { AccessLog, AccessLogEntry, AccessLogPage } from '../../application/ports/access-log';

interface EntryDocument {
  /** Orders the entries (ObjectIds grow with time and, within one client, with a counter). */
  _id?: ObjectId;
  at: string;
  workerId: string;
  actor: AccessLogEntry['actor'];
  route: string;
  fields: AccessLogEntry['fields'];
  correlationId?: string;
  grantedBy?: string;
}

export const ACCESS_LOG_COLLECTION = 'access_log';

/**
 * The access log on MongoDB (`access_log`, indexed by worker). Append-only by privilege: give the
 * application's database user only `insert` and `find` on this collection.
 */
export class MongoAccessLog implements AccessLog {
  private indexed: Promise<unknown> | null = null;

  private constructor(
    private readonly client: MongoClient,
    private readonly entries: Collection<EntryDocument>,
  ) {}

  static async connect(
    url: string,
    options: { database?: string; serverSelectionTimeoutMS?: number } = {},
  ): Promise<MongoAccessLog> {
    const client = new MongoClient(url, {
      retryWrites: true,
      writeConcern: { w: 'majority', journal: true },
      ...(options.serverSelectionTimeoutMS !== undefined
        ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS }
        : {}),
    });
    try {
      await client.connect();
      const db = client.db(options.database ?? 'hsc_access_log');
      return new MongoAccessLog(client, db.collection<EntryDocument>(ACCESS_LOG_COLLECTION));
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async record(entries: readonly AccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureIndex();
    await this.entries.insertMany(
      entries.map((entry) => ({
        at: entry.at,
        workerId: entry.workerId,
        actor: { ...entry.actor },
        route: entry.route,
        fields: [...entry.fields],
        ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
        ...(entry.grantedBy ? { grantedBy: entry.grantedBy } : {}),
      })),
      { ordered: true },
    );
  }

  async forWorker(
    workerId: string,
    { limit, offset }: { limit: number; offset: number },
  ): Promise<AccessLogPage> {
    await this.ensureIndex();
    const [docs, total] = await Promise.all([
      this.entries.find({ workerId }).sort({ _id: 1 }).skip(offset).limit(limit).toArray(),
      this.entries.countDocuments({ workerId }),
    ]);
    return {
      total,
      items: docs.map(({ _id: _ignored, ...entry }, i) => ({ ...entry, seq: offset + i + 1 })),
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private ensureIndex(): Promise<unknown> {
    this.indexed ??= this.entries.createIndex({ workerId: 1, _id: 1 });
    return this.indexed;
  }
}

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBaselineRun, rawReadAndParseOnEachCore } from '../../../bench/each-core';
import { EVENT_FILE_SCHEMA } from '../../../src/infrastructure/sqlite/event-file-layout';

const EVENTS = 150_000;

/** An event file of the current layout on disk, holding EVENTS events of one stream each. */
function writeEventFile(file: string): void {
  const db = new Database(file);
  try {
    db.exec(EVENT_FILE_SCHEMA);
    const stream = db.prepare('INSERT INTO streams (key, stream_id) VALUES (?, ?)');
    const event = db.prepare(
      'INSERT INTO events (id, stream_id, stream_key, revision, type, schema_version, data, metadata) ' +
        'VALUES (?, ?, ?, 0, ?, 1, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 1; i <= EVENTS; i++) {
        const streamId = `worker-${i}`;
        stream.run(i, streamId);
        const data = JSON.stringify({ workerId: String(i), name: '张三丰', hours: i % 7 });
        const metadata = JSON.stringify([
          '2026-12-05T10:00:00.000Z',
          'op-1',
          'operator',
          'agency-1',
          `cmd-${i}`,
        ]);
        event.run(`event-${i}`, streamId, i, 'WorkerRegistered', data, metadata);
      }
    })();
  } finally {
    db.close();
  }
}

describe("the rebuild's read-and-parse baseline on each core at once", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hsc-each-core-'));
    file = join(dir, 'events.db');
    writeEventFile(file);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has every thread read and parse every event, all of them reading at the same time', async () => {
    const read = await rawReadAndParseOnEachCore(file, 2);
    expect(read.threads).toHaveLength(2);
    for (const thread of read.threads) {
      expect(thread.events).toBe(EVENTS);
      expect(thread.seconds).toBeGreaterThan(0);
      expect(thread.perSecond).toBeCloseTo(EVENTS / thread.seconds, 6);
    }
    // Each began before the other ended: the reads overlapped.
    const [first, second] = read.threads;
    expect(Math.max(first!.started, second!.started)).toBeLessThan(Math.min(first!.ended, second!.ended));
  });

  it("takes a core's rate as the mean of the threads' rates, and gives it as one baseline run", async () => {
    const read = await rawReadAndParseOnEachCore(file, 3);
    const rates = read.threads.map((thread) => thread.perSecond);
    expect(rates).toHaveLength(3);
    expect(read.perSecond).toBeCloseTo((rates[0]! + rates[1]! + rates[2]!) / 3, 6);
    const run = asBaselineRun(read);
    expect(run.events).toBe(EVENTS);
    expect(run.events / run.seconds).toBeCloseTo(read.perSecond, 6);
  });

  it("fails with the thread's error when the file cannot be opened", async () => {
    await expect(rawReadAndParseOnEachCore(join(dir, 'missing.db'), 2)).rejects.toThrow(
      'a read-and-parse thread failed: {"code":"SQLITE_CANTOPEN"}',
    );
  });
});

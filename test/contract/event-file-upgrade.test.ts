import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventToAppend } from '../../src/application/ports/event-store';
import { eventFileLayout } from '../../src/infrastructure/sqlite/event-file-layout';
import { upgradeEventFile } from '../../src/infrastructure/sqlite/event-file-upgrade';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { createEventFileWithIdIndex } from './event-file-with-id-index';
import { eventToAppend } from '../support/events';

const event = (n: number): EventToAppend =>
  eventToAppend('CertificateApplied', { n, note: '上门服务证' }, { commandId: `c-${n}` });

describe('upgrading an event file indexed by stream id (npm run upgrade-events)', () => {
  let dir: string;
  let file: string;
  /** Appends kept to be retried after the upgrade. */
  let appends: { streamId: string; events: EventToAppend[]; expected: 'no_stream' | number }[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'event-file-upgrade-'));
    file = join(dir, 'events.db');
    createEventFileWithIdIndex(file);
    appends = [
      { streamId: 'worker-b', events: [event(1)], expected: 'no_stream' },
      { streamId: 'worker-a', events: [event(2), event(3)], expected: 'no_stream' },
      { streamId: 'worker-b', events: [event(4)], expected: 0 },
      { streamId: 'certificate-c', events: [event(5)], expected: 'no_stream' },
      { streamId: 'worker-a', events: [event(6)], expected: 1 },
    ];
    const store = SqliteEventStore.open(file);
    try {
      for (const { streamId, events, expected } of appends) await store.append(streamId, events, expected);
    } finally {
      await store.close();
    }
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every event as it was, numbers the streams in the order they began, and keeps the original', async () => {
    const before = SqliteEventStore.open(file);
    const log = await before.readAll(0, 100);
    await before.close();

    const result = upgradeEventFile(file);
    expect(result).toMatchObject({ upgraded: true, events: 6, streams: 3, kept: `${file}.before-upgrade` });
    expect(existsSync(`${file}.before-upgrade`)).toBe(true);
    expect(existsSync(`${file}.upgrading`)).toBe(false);

    const db = new Database(file, { readonly: true });
    try {
      expect(eventFileLayout(db)).toBe('stream-keys');
      expect(db.prepare('SELECT key, stream_id FROM streams ORDER BY key').raw().all()).toEqual([
        [1, 'worker-b'],
        [2, 'worker-a'],
        [3, 'certificate-c'],
      ]);
      // The unique index on event ids of the old file is not carried over.
      expect(db.prepare("SELECT COUNT(*) FROM pragma_index_list('events')").pluck().get()).toBe(1);
    } finally {
      db.close();
    }

    const after = SqliteEventStore.open(file);
    try {
      expect(await after.readAll(0, 100)).toEqual(log);
      expect(await after.readStream('worker-a')).toEqual(log.filter((e) => e.streamId === 'worker-a'));
      expect(await after.streamRevision('worker-b')).toBe(1);
      // A retry of an append made before the upgrade is still recognised, and stores nothing.
      const retried = appends[3]!;
      expect(await after.append(retried.streamId, retried.events, retried.expected)).toEqual({
        nextExpectedRevision: 0,
        position: 5,
        positions: [5],
      });
      // New appends continue the positions and the streams' revisions.
      expect(await after.append('worker-b', [event(7)], 1)).toEqual({
        nextExpectedRevision: 2,
        position: 7,
        positions: [7],
      });
      expect(await after.append('worker-d', [event(8)], 'no_stream')).toEqual({
        nextExpectedRevision: 0,
        position: 8,
        positions: [8],
      });
      await expect(after.append('worker-a', [event(9)], 0)).rejects.toMatchObject({
        name: 'WrongExpectedRevisionError',
      });
    } finally {
      await after.close();
    }
    // The original, kept, still opens as it was.
    const original = SqliteEventStore.open(`${file}.before-upgrade`);
    try {
      expect(await original.readAll(0, 100)).toEqual(log);
    } finally {
      await original.close();
    }
  });

  it('does nothing to a file that has the current layout', () => {
    upgradeEventFile(file);
    rmSync(`${file}.before-upgrade`);
    const bytes = readFileSync(file);
    expect(upgradeEventFile(file)).toMatchObject({ upgraded: false, kept: null });
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a file that holds no event log, and leaves it as it was', () => {
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (n INTEGER)');
    db.close();
    const bytes = readFileSync(other);
    expect(() => upgradeEventFile(other)).toThrow(/holds no event log/);
    expect(readFileSync(other).equals(bytes)).toBe(true);
    expect(existsSync(`${other}.upgrading`)).toBe(false);
  });

  it('refuses to overwrite an original kept by an earlier upgrade', () => {
    writeFileSync(`${file}.before-upgrade`, 'kept');
    expect(() => upgradeEventFile(file)).toThrow(/before-upgrade exists/);
    expect(readFileSync(`${file}.before-upgrade`, 'utf8')).toBe('kept');
  });

  it('refuses while another connection has the file open, even idle, and leaves the file as it was', async () => {
    const bytes = readFileSync(file);
    const idle = SqliteEventStore.open(file);
    await idle.readStream('worker-a');
    try {
      expect(() => upgradeEventFile(file)).toThrow(/in use by another connection/);
    } finally {
      await idle.close();
    }
    expect(existsSync(`${file}.upgrading`)).toBe(false);
    expect(existsSync(`${file}.before-upgrade`)).toBe(false);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    // Once the file is free, the upgrade goes through.
    expect(upgradeEventFile(file)).toMatchObject({ upgraded: true, events: 6 });
  });

  it('refuses while another connection is writing, and leaves the file as it was', () => {
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      expect(() => upgradeEventFile(file)).toThrow(/in use by another connection/);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    expect(existsSync(`${file}.upgrading`)).toBe(false);
    expect(existsSync(`${file}.before-upgrade`)).toBe(false);
    const db = new Database(file, { readonly: true });
    try {
      expect(eventFileLayout(db)).toBe('stream-ids');
      expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(6);
    } finally {
      db.close();
    }
  });
});

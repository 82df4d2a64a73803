import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplyForCertificateHandler,
  ApplyForCertificateCommand,
} from '../../src/application/certificate/apply-for-certificate';
import type { CommandContext } from '../../src/application/command-context';
import { CommandProcessor } from '../../src/application/command-processor';
import type { Clock } from '../../src/application/ports/clock';
import type { EventStore, EventToAppend, ExpectedRevision } from '../../src/application/ports/event-store';
import { streams } from '../../src/application/streams';
import type { Actor } from '../../src/domain/actor';
import { DomainError } from '../../src/domain/errors';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';

const operator: Actor = { id: 'op-1', role: 'agency_operator', agencyId: 'agency-a' };
const context = (commandId: string): CommandContext => ({
  actor: operator,
  commandId,
  correlationId: commandId,
});

/**
 * The real SQLite store appending one stream at a time, as a store without a multi-stream append
 * does (KurrentDB), with a gate that can hold the next certificate creation mid-flight.
 */
function pausing(inner: EventStore) {
  let held: { released: Promise<void>; reach: () => void } | null = null;
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    appendToStreams: undefined,
    async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision) {
      if (held && streamId.startsWith('certificate-')) {
        const { released, reach } = held;
        held = null;
        reach();
        await released;
      }
      return inner.append(streamId, events, expected);
    },
  });
  return {
    store,
    holdNextCertificateCreation() {
      let release!: () => void;
      let reach!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const reached = new Promise<void>((resolve) => (reach = resolve));
      held = { released, reach };
      return { release, reached };
    },
  };
}

describe('applying for a certificate while another application is between its two appends (one stream at a time)', () => {
  let dir: string;
  let inner: SqliteEventStore;
  let now = Date.parse('2026-11-24T08:00:00.000Z');
  const clock: Clock = { now: () => new Date(now) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apply-'));
    inner = SqliteEventStore.open(join(dir, 'events.db'));
    const meta = {
      occurredAt: new Date(now).toISOString(),
      actor: operator,
      commandId: 'seed',
      correlationId: 'seed',
      causationId: 'seed',
    };
    await inner.append(
      streams.agency('agency-a'),
      [
        {
          id: 'e-agency',
          type: 'AgencyRegistered',
          schemaVersion: 1,
          data: { agencyId: 'agency-a', name: 'A', creditCode: 'X', district: '310104' },
          metadata: meta,
        },
      ],
      'no_stream',
    );
    await inner.append(
      streams.worker('w-1'),
      [
        {
          id: 'e-worker',
          type: 'WorkerRegistered',
          schemaVersion: 1,
          data: {
            workerId: 'w-1',
            agencyId: 'agency-a',
            personal: { name: '张三', idNumber: 'x', phone: 'y' },
          },
          metadata: meta,
        },
      ],
      'no_stream',
    );
  });

  afterEach(async () => {
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the in-flight application as open, so the second is refused (rule 2)', async () => {
    const paused = pausing(inner);
    const handler = new ApplyForCertificateHandler(new CommandProcessor(paused.store, clock));
    const gate = paused.holdNextCertificateCreation();
    const first = handler.execute(new ApplyForCertificateCommand('w-1', context('first')));
    await gate.reached;
    const second = handler
      .execute(new ApplyForCertificateCommand('w-1', context('second')))
      .catch((error: unknown) => error);
    const refusal = await second;
    gate.release();
    const created = await first;
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ kind: 'conflict', details: { existingId: created.id } });
    expect((await inner.readStream(streams.certificate(created.id))).map((event) => event.type)).toEqual([
      'CertificateApplied',
    ]);
  });

  it('treats an application whose request died long ago as abandoned, and its own retry still completes it', async () => {
    const paused = pausing(inner);
    const handler = new ApplyForCertificateHandler(new CommandProcessor(paused.store, clock));
    const gate = paused.holdNextCertificateCreation();
    const abandoned = handler
      .execute(new ApplyForCertificateCommand('w-1', context('dies')))
      .catch(() => 'died');
    await gate.reached;
    now += 5 * 60_000;
    const fresh = await handler.execute(new ApplyForCertificateCommand('w-1', context('fresh')));
    expect(fresh.created).toBe(true);
    gate.release();
    await abandoned;
  });
});

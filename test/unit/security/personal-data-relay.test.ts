import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { EventToAppend, StoredEvent } from '../../../src/application/ports/event-store';
import {
  ERASED,
  isSealedPersonalData,
  type PersonalDataCipher,
  type PersonalFields,
  type SealedItem,
} from '../../../src/application/ports/personal-data-cipher';
import { EncryptingEventStore } from '../../../src/infrastructure/crypto/encrypting-event-store';
import { loadKeyEncryptionKeys } from '../../../src/infrastructure/crypto/key-encryption-keys';
import { AesGcmPersonalDataCipher } from '../../../src/infrastructure/crypto/personal-data-cipher';
import {
  RelayClaim,
  RelayedCipher,
  RelayingLog,
} from '../../../src/infrastructure/crypto/personal-data-relay';
import { SqliteEventStore } from '../../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteKeyStore } from '../../../src/infrastructure/sqlite/sqlite-key-store';

/** The real cipher, counting the envelopes it opens. */
function counting(cipher: PersonalDataCipher): PersonalDataCipher & { opened: number } {
  const counted = {
    opened: 0,
    open: async (items: readonly SealedItem[]) => {
      counted.opened += items.length;
      return cipher.open(items);
    },
    seal: (kid: string, fields: PersonalFields, context: string) => cipher.seal(kid, fields, context),
    destroyKey: (kid: string, at: string) => cipher.destroyKey(kid, at),
  };
  return counted;
}

const METADATA = {
  occurredAt: '2026-12-04T08:00:00.000Z',
  actor: { id: 'op', role: 'agency_operator', agencyId: 'a-1' },
  commandId: 'c',
  correlationId: 'c',
  causationId: 'c',
} as const;

function event(type: string, data: Record<string, unknown>): EventToAppend {
  return { id: randomUUID(), type, schemaVersion: 1, metadata: METADATA, data };
}

const nameOf = (worker: number) => `姓名${worker}`;
const personalOf = (events: readonly StoredEvent[]) => events.map((e) => e.data.personal);

/**
 * A rebuild's two threads, here in one: the opening thread's log (RelayingLog) and the receiving
 * thread's store (EncryptingEventStore through RelayedCipher), each on its own connection to one
 * SQLite log on disk, sharing a claim and a message channel.
 */
describe('personal data opened on one thread for another (a rebuild: RelayingLog → RelayedCipher)', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let claim: RelayClaim;
  let opener: RelayingLog;
  let openerCipher: ReturnType<typeof counting>;
  let receiverCipher: ReturnType<typeof counting>;
  let relayed: RelayedCipher;
  let receiver: EncryptingEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-'));
    keys = SqliteKeyStore.open(join(dir, 'keys.db'), loadKeyEncryptionKeys(join(dir, 'kek')));
    const file = join(dir, 'events.db');
    const writer = SqliteEventStore.open(file);
    const sealing = new EncryptingEventStore(writer, new AesGcmPersonalDataCipher(keys));
    // Positions 1–6: six workers registered; 7: a certificate event (nothing sealed); 8: w1's new phone.
    for (let worker = 1; worker <= 6; worker += 1) {
      const personal = { name: nameOf(worker), idNumber: `31010419850315${worker}00X`, phone: '13912345678' };
      await sealing.append(
        `worker-w${worker}`,
        [event('WorkerRegistered', { workerId: `w${worker}`, agencyId: 'a-1', personal })],
        'no_stream',
      );
    }
    await sealing.append('certificate-c1', [event('CertificateApplied', { workerId: 'w1' })], 'no_stream');
    await sealing.append(
      'worker-w1',
      [event('WorkerInfoUpdated', { workerId: 'w1', personal: { phone: '13800000000' } })],
      0,
    );
    await writer.close();

    claim = new RelayClaim();
    const { port1, port2 } = new MessageChannel();
    openerCipher = counting(new AesGcmPersonalDataCipher(keys));
    receiverCipher = counting(new AesGcmPersonalDataCipher(keys));
    opener = new RelayingLog(SqliteEventStore.open(file), openerCipher, port1, claim);
    relayed = new RelayedCipher(port2, claim, receiverCipher);
    receiver = new EncryptingEventStore(SqliteEventStore.open(file), relayed, [relayed]);
  });

  afterEach(async () => {
    await opener.close();
    await receiver.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the log sealed on the opening thread, and the other takes what it opened without opening anything', async () => {
    await keys.destroy('w2', '2026-12-04T09:00:00.000Z');
    const sealed = await opener.readAll(0, 100);
    expect(sealed.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Its own projections see no personal data in clear.
    expect(
      personalOf(sealed)
        .filter((personal) => personal !== undefined)
        .every(isSealedPersonalData),
    ).toBe(true);
    expect(openerCipher.opened).toBe(7);

    // Taken at once, with no turn of the event loop in between: a rebuild thread may run long without one.
    const opened = await receiver.readAll(0, 100);
    expect(personalOf(opened)).toEqual([
      { name: nameOf(1), idNumber: '31010419850315100X', phone: '13912345678' },
      { name: ERASED, idNumber: ERASED, phone: ERASED },
      ...[3, 4, 5, 6].map((w) => ({
        name: nameOf(w),
        idNumber: `31010419850315${w}00X`,
        phone: '13912345678',
      })),
      undefined,
      { phone: '13800000000' },
    ]);
    expect(receiverCipher.opened).toBe(0);
    expect(relayed.openings()).toEqual({ relayed: 7, openedHere: 0 });
    expect(claim.claimed()).toBe(0);
  });

  it('where the receiving thread has caught up, opens the rest itself and claims it: the opening thread skips it', async () => {
    await opener.readAll(0, 2);
    expect(openerCipher.opened).toBe(2);
    const opened = await receiver.readAll(0, 100);
    expect(opened.map((e) => (e.data.personal as { name?: string } | undefined)?.name)).toEqual([
      ...[1, 2, 3, 4, 5, 6].map(nameOf),
      undefined,
      undefined,
    ]);
    expect(relayed.openings()).toEqual({ relayed: 2, openedHere: 5 });
    expect(claim.claimed()).toBe(8);

    const rest = await opener.readAll(2, 100);
    expect(rest.map((e) => e.position)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(
      personalOf(rest)
        .filter((personal) => personal !== undefined)
        .every(isSealedPersonalData),
    ).toBe(true);
    // Claimed: each envelope was opened once, by one thread or the other.
    expect(openerCipher.opened).toBe(2);
  });

  it('opens itself what the opening thread does not read (an event type of no projection of its own)', async () => {
    await opener.readAll(0, 100, { types: new Set(['WorkerRegistered']) });
    const opened = await receiver.readAll(0, 100);
    expect(opened[7]!.data.personal).toEqual({ phone: '13800000000' });
    expect(relayed.openings()).toEqual({ relayed: 6, openedHere: 1 });
    expect(receiverCipher.opened).toBe(1);
  });

  it('forgets what it read past: the told envelopes it skipped are not kept', async () => {
    await opener.readAll(0, 100);
    await receiver.readAll(2, 100);
    expect(relayed.openings()).toEqual({ relayed: 5, openedHere: 0 });
    // Asked for afterwards (never in a rebuild, which reads forward), they are opened again, not found.
    const again = await receiver.readAll(0, 2);
    expect(again.map((e) => (e.data.personal as { name: string }).name)).toEqual([nameOf(1), nameOf(2)]);
    expect(relayed.openings()).toEqual({ relayed: 5, openedHere: 2 });
  });

  it('opens everything itself once the opening thread has closed', async () => {
    await opener.close();
    const opened = await receiver.readAll(0, 100);
    expect(opened[0]!.data.personal).toMatchObject({ name: nameOf(1) });
    expect(relayed.openings()).toEqual({ relayed: 0, openedHere: 7 });
  });

  it('opens envelopes read from elsewhere than the log (no position) at once, itself', async () => {
    const context = 'event:worker-w9:e1';
    const sealed = await new AesGcmPersonalDataCipher(keys).seal('w9', { name: nameOf(9) }, context);
    expect(await relayed.open([{ sealed, context }])).toEqual([{ name: nameOf(9) }]);
    expect(relayed.openings()).toEqual({ relayed: 0, openedHere: 1 });
  });
});

describe('RelayClaim', () => {
  it('is shared memory that moves only forward, seen at once through another view of its buffer', () => {
    const claim = new RelayClaim();
    const other = new RelayClaim(claim.buffer);
    claim.claim(2_500_000_000);
    claim.claim(7);
    expect(other.claimed()).toBe(2_500_000_000);
  });
});

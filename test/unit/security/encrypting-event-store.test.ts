import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventToAppend, StoredEvent } from '../../../src/application/ports/event-store';
import { ERASED, isSealedPersonalData } from '../../../src/application/ports/personal-data-cipher';
import {
  EncryptingEventStore,
  type OpenedEvent,
} from '../../../src/infrastructure/crypto/encrypting-event-store';
import { loadKeyEncryptionKeys } from '../../../src/infrastructure/crypto/key-encryption-keys';
import {
  AesGcmPersonalDataCipher,
  PersonalDataIntegrityError,
} from '../../../src/infrastructure/crypto/personal-data-cipher';
import { SqliteEventStore } from '../../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteKeyStore } from '../../../src/infrastructure/sqlite/sqlite-key-store';

const PERSON = { name: '欧阳娜娜', idNumber: '31010419850315002X', phone: '13912345678' };

describe('personal data encrypted at the event-store port', () => {
  let dir: string;
  let raw: SqliteEventStore;
  let keys: SqliteKeyStore;
  let store: EncryptingEventStore;

  const envelope = (
    overrides: Partial<EventToAppend> & { data: Record<string, unknown> },
  ): EventToAppend => ({
    id: randomUUID(),
    type: 'WorkerRegistered',
    schemaVersion: 1,
    metadata: {
      occurredAt: '2026-11-24T08:00:00.000Z',
      actor: { id: 'op', role: 'agency_operator', agencyId: 'a-1' },
      commandId: 'c',
      correlationId: 'c',
      causationId: 'c',
    },
    ...overrides,
  });
  const registered = (workerId: string) =>
    envelope({ data: { workerId, agencyId: 'a-1', personal: { ...PERSON } } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'encrypting-store-'));
    raw = SqliteEventStore.open(join(dir, 'events.db'));
    keys = SqliteKeyStore.open(join(dir, 'keys.db'), loadKeyEncryptionKeys(join(dir, 'kek')));
    store = new EncryptingEventStore(raw, new AesGcmPersonalDataCipher(keys));
  });

  afterEach(async () => {
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an envelope in place of the clear values, and reads them back in clear', async () => {
    await store.append('worker-w1', [registered('w1')], 'no_stream');
    const [stored] = await raw.readStream('worker-w1');
    expect(isSealedPersonalData(stored!.data.personal)).toBe(true);
    expect(stored!.data.personal).toMatchObject({ kid: 'w1', fields: ['idNumber', 'name', 'phone'] });
    const text = JSON.stringify(stored) + readFileSync(join(dir, 'events.db-wal')).toString('utf8');
    for (const value of Object.values(PERSON)) expect(text).not.toContain(value);

    const [opened] = (await store.readStream('worker-w1')) as OpenedEvent[];
    expect(opened!.data).toEqual({ workerId: 'w1', agencyId: 'a-1', personal: PERSON });
    expect(opened!.personalData).toEqual({ sealed: stored!.data.personal, erased: false });
    expect((await store.readAll(0, 10))[0]!.data.personal).toEqual(PERSON);
  });

  it('opens events on the live subscription too', async () => {
    const subscription = store.subscribeToAll(0)[Symbol.asyncIterator]();
    await store.append('worker-w2', [registered('w2')], 'no_stream');
    const { value } = await subscription.next();
    expect((value as StoredEvent).data.personal).toEqual(PERSON);
    await subscription.return?.(undefined);
  });

  it('reads events at their positions opened, or left sealed when asked, without opening anything', async () => {
    await store.append('worker-w5', [registered('w5')], 'no_stream');
    const [stored] = await raw.readStream('worker-w5');
    expect((await store.readAt([stored!.position]))[0]!.data.personal).toEqual(PERSON);

    const cipher = new AesGcmPersonalDataCipher(keys);
    const open = jest.spyOn(cipher, 'open');
    const sealedReads = new EncryptingEventStore(raw, cipher);
    const [sealed] = await sealedReads.readAt([stored!.position], { sealed: true });
    expect(sealed).toEqual(stored);
    expect(isSealedPersonalData(sealed!.data.personal)).toBe(true);
    expect(open).not.toHaveBeenCalled();
  });

  it('passes events without personal data through untouched', async () => {
    const consent = envelope({ type: 'ConsentRecorded', data: { workerId: 'w3', scopes: ['credit'] } });
    await store.append('worker-w3', [consent], 'no_stream');
    expect((await raw.readStream('worker-w3'))[0]!.data).toEqual(consent.data);
  });

  it('keeps idempotent retries working: the same event ids are recognised despite a new IV', async () => {
    const event = registered('w4');
    const first = await store.append('worker-w4', [event], 'no_stream');
    const again = await store.append('worker-w4', [event], 'no_stream');
    expect(again).toEqual(first);
    expect(await raw.readStream('worker-w4')).toHaveLength(1);
  });

  it('reads the personal fields as erased once the key is destroyed, naming the fields it held', async () => {
    await store.append('worker-w5', [registered('w5')], 'no_stream');
    const update = envelope({
      type: 'WorkerInfoUpdated',
      data: { workerId: 'w5', personal: { phone: '13800000000' } },
    });
    await store.append('worker-w5', [update], 0);
    await keys.destroy('w5', '2026-11-24T09:00:00.000Z');
    const events = (await store.readStream('worker-w5')) as OpenedEvent[];
    expect(events.map((event) => event.data.personal)).toEqual([
      { idNumber: ERASED, name: ERASED, phone: ERASED },
      { phone: ERASED },
    ]);
    expect(events.every((event) => event.personalData?.erased)).toBe(true);
    // Nothing more can be sealed for an erased worker: the key is never re-created.
    await expect(
      store.append(
        'worker-w5',
        [
          envelope({
            type: 'WorkerInfoUpdated',
            data: { workerId: 'w5', personal: { phone: '13800000001' } },
          }),
        ],
        1,
      ),
    ).rejects.toThrow(/destroyed/);
  });

  it('refuses to store personal data it cannot key (fail closed)', async () => {
    await expect(
      store.append(
        'worker-x',
        [envelope({ data: { agencyId: 'a-1', personal: { ...PERSON } } })],
        'no_stream',
      ),
    ).rejects.toThrow(/without a workerId/);
    expect(await raw.readStream('worker-x')).toEqual([]);
  });

  it('detects an envelope moved to another event, or altered', async () => {
    await store.append('worker-w6', [registered('w6')], 'no_stream');
    const [stored] = await raw.readStream('worker-w6');
    // The same envelope copied into another event of the same worker: bound to its event id, it fails.
    await raw.append(
      'worker-w6',
      [envelope({ type: 'WorkerInfoUpdated', data: { workerId: 'w6', personal: stored!.data.personal } })],
      0,
    );
    await expect(store.readStream('worker-w6')).rejects.toBeInstanceOf(PersonalDataIntegrityError);
    const sealed = stored!.data.personal as Record<string, string>;
    const flipped = { ...sealed, ct: (sealed.ct![0] === 'A' ? 'B' : 'A') + sealed.ct!.slice(1) };
    await raw.append('worker-w7', [envelope({ data: { workerId: 'w6', personal: flipped } })], 'no_stream');
    await expect(store.readStream('worker-w7')).rejects.toThrow(/failed authentication/);
  });

  it('refuses to read when the key store does not hold the key at all (wrong or lost key store)', async () => {
    await store.append('worker-w8', [registered('w8')], 'no_stream');
    const otherKeys = SqliteKeyStore.open(
      join(dir, 'other-keys.db'),
      loadKeyEncryptionKeys(join(dir, 'kek')),
    );
    const wrong = new EncryptingEventStore(raw, new AesGcmPersonalDataCipher(otherKeys));
    await expect(wrong.readStream('worker-w8')).rejects.toThrow(/missing from the key store/);
    await otherKeys.close();
  });
});

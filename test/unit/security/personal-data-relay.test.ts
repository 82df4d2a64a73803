import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type {
  PersonalDataCipher,
  PersonalFields,
  SealedItem,
} from '../../../src/application/ports/personal-data-cipher';
import { loadKeyEncryptionKeys } from '../../../src/infrastructure/crypto/key-encryption-keys';
import { AesGcmPersonalDataCipher } from '../../../src/infrastructure/crypto/personal-data-cipher';
import { RelayedCipher, RelayingCipher } from '../../../src/infrastructure/crypto/personal-data-relay';
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

function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  // Long enough for every message already posted on the channel to arrive.
  return new Promise((resolve) => setTimeout(() => resolve(done), 50));
}

describe('personal data opened on one thread for another (a rebuild: RelayingCipher → RelayedCipher)', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let opener: RelayingCipher;
  let openerCipher: ReturnType<typeof counting>;
  let receiver: RelayedCipher;
  let receiverCipher: ReturnType<typeof counting>;

  /** An envelope of `worker` at `position`, as the encrypting event store asks for it. */
  async function item(worker: string, position: number, name = `姓名${position}`): Promise<SealedItem> {
    const context = `event:worker-${worker}:e${position}`;
    const cipher = new AesGcmPersonalDataCipher(keys);
    const sealed = await cipher.seal(worker, { name, phone: '13912345678' }, context);
    return { sealed, context, position };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-'));
    keys = SqliteKeyStore.open(join(dir, 'keys.db'), loadKeyEncryptionKeys(join(dir, 'kek')));
    const { port1, port2 } = new MessageChannel();
    openerCipher = counting(new AesGcmPersonalDataCipher(keys));
    receiverCipher = counting(new AesGcmPersonalDataCipher(keys));
    opener = new RelayingCipher(openerCipher, port1);
    receiver = new RelayedCipher(port2, receiverCipher);
  });

  afterEach(async () => {
    await opener.close();
    await receiver.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers what the other thread opened, erased ones included, without opening anything itself', async () => {
    const items = [await item('w1', 3), await item('w2', 8), await item('w3', 12)];
    await keys.destroy('w2', '2026-12-03T08:00:00.000Z');
    const opened = await opener.open(items);
    expect(opened).toEqual([
      { name: '姓名3', phone: '13912345678' },
      null,
      { name: '姓名12', phone: '13912345678' },
    ]);
    expect(await receiver.open(items)).toEqual(opened);
    expect(openerCipher.opened).toBe(3);
    expect(receiverCipher.opened).toBe(0);
    expect(receiver.openings()).toMatchObject({ relayed: 3, openedHere: 0 });
  });

  it('takes what the other thread told already without waiting for a turn of the event loop', async () => {
    const items = [await item('w1', 3), await item('w2', 8)];
    await opener.open(items);
    let turned = false;
    const turn = setImmediate(() => (turned = true));
    const opened = await receiver.open(items);
    clearImmediate(turn);
    expect(turned).toBe(false);
    expect(opened).toEqual([
      { name: '姓名3', phone: '13912345678' },
      { name: '姓名8', phone: '13912345678' },
    ]);
    expect(receiver.openings()).toEqual({ relayed: 2, openedHere: 0, waitedSeconds: 0 });
  });

  it('waits until the other thread has read as far as its envelopes reach', async () => {
    const first = await item('w1', 5);
    const second = await item('w2', 9);
    const answer = receiver.open([first, second]);
    expect(await settled(answer)).toBe(false);
    await opener.open([first]);
    // Told up to 5 only: the envelope at 9 may still come.
    expect(await settled(answer)).toBe(false);
    await opener.open([second]);
    expect(await answer).toEqual([
      { name: '姓名5', phone: '13912345678' },
      { name: '姓名9', phone: '13912345678' },
    ]);
    expect(receiverCipher.opened).toBe(0);
    expect(receiver.openings().waitedSeconds).toBeGreaterThan(0);
  });

  it('wakes every open that waits, when reads overlap', async () => {
    const [first, second] = [await item('w1', 5), await item('w2', 9)];
    const answers = [receiver.open([first]), receiver.open([second])];
    await opener.open([first, second]);
    expect(await Promise.all(answers)).toEqual([
      [{ name: '姓名5', phone: '13912345678' }],
      [{ name: '姓名9', phone: '13912345678' }],
    ]);
    expect(receiverCipher.opened).toBe(0);
  });

  it('opens itself what the other thread read past without telling (an event type it does not read)', async () => {
    const untold = await item('w1', 4);
    const told = await item('w2', 6);
    const answer = receiver.open([untold]);
    await opener.open([told]);
    expect(await answer).toEqual([{ name: '姓名4', phone: '13912345678' }]);
    expect(receiverCipher.opened).toBe(1);
    expect(receiver.openings()).toMatchObject({ relayed: 0, openedHere: 1 });
  });

  it('stops waiting once the other thread is done, and opens the rest itself', async () => {
    const answer = receiver.open([await item('w1', 20)]);
    expect(await settled(answer)).toBe(false);
    await opener.close();
    expect(await answer).toEqual([{ name: '姓名20', phone: '13912345678' }]);
    expect(receiverCipher.opened).toBe(1);
  });

  it('forgets what it read past: the told envelopes it skipped are not kept', async () => {
    const skipped = await item('w1', 2);
    const read = await item('w2', 7);
    await opener.open([skipped, read]);
    expect(await receiver.open([read])).toEqual([{ name: '姓名7', phone: '13912345678' }]);
    expect(receiverCipher.opened).toBe(0);
    // Asked for afterwards (never in a rebuild, which reads forward), it is opened again, not found.
    expect(await receiver.open([skipped])).toEqual([{ name: '姓名2', phone: '13912345678' }]);
    expect(receiverCipher.opened).toBe(1);
  });

  it('opens envelopes read from elsewhere than the log (no position) at once, itself', async () => {
    const { sealed, context } = await item('w1', 1);
    expect(await receiver.open([{ sealed, context }])).toEqual([{ name: '姓名1', phone: '13912345678' }]);
    expect(receiverCipher.opened).toBe(1);
  });
});

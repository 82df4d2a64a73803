import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { loadKeyEncryptionKeys } from '../../src/infrastructure/crypto/key-encryption-keys';
import { MongoAccessLog } from '../../src/infrastructure/mongodb/mongo-access-log';
import { MongoKeyStore } from '../../src/infrastructure/mongodb/mongo-key-store';
import { describeAccessLogContract } from './access-log.contract';
import { describeKeyStoreContract } from './key-store.contract';

/** The KeyStore and AccessLog contracts against MongoDB, switched on by MONGODB_URL. */
const url = process.env.MONGODB_URL;

if (url) {
  const database = `hsc_keys_contract_${randomBytes(4).toString('hex')}`;
  const kekDir = mkdtempSync(join(tmpdir(), 'kek-'));
  const open = () =>
    MongoKeyStore.connect(url, loadKeyEncryptionKeys(kekDir), { database, serverSelectionTimeoutMS: 10_000 });

  afterAll(async () => {
    const client = await new MongoClient(url).connect();
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
    rmSync(kekDir, { recursive: true, force: true });
  });

  describeKeyStoreContract('MongoDB', { open, reopen: open });
  describeAccessLogContract('MongoDB', {
    open: () => MongoAccessLog.connect(url, { database, serverSelectionTimeoutMS: 10_000 }),
  });
} else {
  process.stderr.write(
    'skipped: set MONGODB_URL to run the KeyStore and AccessLog contracts against MongoDB\n',
  );
  describe('KeyStore and AccessLog contracts: MongoDB', () => {
    it.skip('skipped: set MONGODB_URL to run', () => undefined);
  });
}

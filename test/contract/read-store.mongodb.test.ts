import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoReadStore } from '../../src/infrastructure/mongodb/mongo-read-store';
import { describeLeaseStoreContract } from './lease-store.contract';
import { describeReadStoreContract } from './read-store.contract';

/**
 * The read-store and lease contracts against a real MongoDB replica set, switched on by MONGODB_URL:
 * `npm run test:backends` with the compose file (docs/production.md). Each run uses its own
 * database, dropped at the end.
 */
const url = process.env.MONGODB_URL;

if (url) {
  const database = `hsc_contract_${randomBytes(4).toString('hex')}`;
  const open = () => MongoReadStore.connect(url, { database, serverSelectionTimeoutMS: 10_000 });

  afterAll(async () => {
    const client = await new MongoClient(url).connect();
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  describeReadStoreContract('MongoDB', { open, reopen: open });
  describeLeaseStoreContract('MongoDB', { open });
} else {
  process.stderr.write(
    'skipped: set MONGODB_URL to run the ReadStore and lease contracts against MongoDB (docs/production.md)\n',
  );
  describe('ReadStore contract: MongoDB', () => {
    it.skip('skipped: set MONGODB_URL to run', () => undefined);
  });
}

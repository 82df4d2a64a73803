import { existsSync, renameSync, rmSync } from 'node:fs';
import { PROJECTIONS } from '../projections';
import { openEventStoreWithKeys } from './privacy';
import { createProjectionRunner } from './read-models';
import { SqliteReadStore } from './sqlite/sqlite-read-store';
import { readStoreFile } from './storage';

export interface RebuildReport {
  readonly position: number;
  readonly seconds: number;
  readonly file: string;
}

function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Replays the whole log from position 0 into a fresh read-model file. With `swap`, the fresh file
 * then replaces DATA_DIR's read models in one rename, so readers never see a half-built state.
 */
export async function rebuildReadModels(
  dataDir: string,
  options: { target?: string; swap?: boolean; keyEncryptionKeyDir?: string } = {},
): Promise<RebuildReport> {
  const live = readStoreFile(dataDir);
  const target = options.target ?? `${live}.rebuilding`;
  removeDatabase(target);
  const started = process.hrtime.bigint();
  // Projections see personal data in clear (to mask names): read through the key store.
  const eventStore = openEventStoreWithKeys({ dataDir, keyEncryptionKeyDir: options.keyEncryptionKeyDir });
  // Nobody reads the fresh file before it is complete: fill it without journal or index upkeep.
  const readStore = SqliteReadStore.open(target, { bulkLoad: true });
  let position: number;
  try {
    position = await createProjectionRunner(eventStore, readStore).catchUp();
    await readStore.finishBulkLoad();
  } catch (error) {
    await readStore.close();
    removeDatabase(target);
    throw error;
  } finally {
    await readStore.close();
    await eventStore.close();
  }
  // Only a complete rebuild replaces the live read models; a failed one leaves them as they were.
  if (options.swap) {
    if (existsSync(live)) removeDatabase(live);
    renameSync(target, live);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { position, seconds, file: options.swap ? live : target };
}

export const PROJECTION_NAMES = PROJECTIONS.map((projection) => projection.name);

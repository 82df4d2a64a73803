import { LeaseGuard } from '../projections/lease-guard';
import { CHECKPOINT_NAME } from './read-models';
import { SqliteReadStore } from './sqlite/sqlite-read-store';

/** The live read models are in use: a rebuild must not replace them. */
export class ReadModelsInUseError extends Error {
  constructor(
    readonly file: string,
    readonly holder: string | null,
  ) {
    super(
      `the read models in ${file} are in use: their projections are run by ${holder ?? 'another process'} ` +
        '(the service, or npm run projections); stop it before rebuilding them in place',
    );
    this.name = 'ReadModelsInUseError';
  }
}

/** The live read models, held against every other projection runner until `release`. */
export interface HeldReadModels {
  /** False once another process took the lease over (the file must not be replaced then). */
  readonly held: boolean;
  /** Gives the lease up and closes the connection (once, however often it is called). */
  release(): Promise<void>;
}

/**
 * Takes the projection lease of the live read-model file for a rebuild that will replace that file:
 * the service and `npm run projections` hold the same lease while they run, so a rebuild refuses to
 * start (ReadModelsInUseError) instead of swapping the file out from under them. A service started
 * during the rebuild stands by instead of writing into the file about to be replaced (it must still
 * be restarted afterwards: it holds the old file open). A holder known dead (a crashed process on
 * this machine) is taken over, as the service itself would.
 */
export async function holdLiveReadModels(file: string): Promise<HeldReadModels> {
  const store = SqliteReadStore.open(file);
  try {
    // Only a take-over is worth telling: a refusal says the rest, and a standing-by guard's "retrying"
    // would mislead (the rebuild tries once).
    const guard = new LeaseGuard(store, {
      name: CHECKPOINT_NAME,
      logger: { log: () => undefined, warn: (message: string) => console.warn(message) },
    });
    const signal = await guard.tryAcquire();
    if (signal === null) {
      throw new ReadModelsInUseError(file, guard.lastHolder);
    }
    let released: Promise<void> | undefined;
    return {
      get held() {
        return !signal.aborted;
      },
      release() {
        released ??= guard.release().finally(() => store.close());
        return released;
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

import type { EventStore } from '../../application/ports/event-store';
import type { LeaseClaim, LeaseStore } from '../../application/ports/lease-store';
import type { ReadStore } from '../../application/ports/read-store';
import { DEFAULT_LEASE_TTL_MS, newHolderId } from '../../projections/lease-guard';
import { CHECKPOINT_NAME, createProjectionRunner } from '../read-models';

/** A read store that keeps generations of its collections (MongoReadStore). */
export interface GenerationalReadStore extends LeaseStore {
  activeGeneration(): Promise<number>;
  /** A store writing into the next generation, which readers do not see until `switchTo`. */
  beginRebuild(): Promise<ReadStore & { readonly stagingGeneration: number | undefined }>;
  /** Makes the staging generation the live one; answers the generation it replaced. */
  switchTo(staging: ReadStore): Promise<number>;
  dropGeneration(generation: number): Promise<readonly string[]>;
}

export interface OnlineRebuildOptions {
  /** Lease held while finishing; the live runner waits this long at most if the rebuild dies. */
  readonly leaseTtlMs?: number;
  /** How long the replaced generation stays readable after the switch (readers' caches expire). */
  readonly graceMs?: number;
  readonly log?: (line: string) => void;
}

export interface OnlineRebuildReport {
  readonly generation: number;
  readonly replaced: number;
  readonly position: number;
  readonly seconds: number;
  readonly dropped: readonly string[];
}

/**
 * Rebuilds every read model without downtime: replays the whole log into the next generation of
 * collections while the live generation keeps serving and being updated; then takes the projection
 * lease (the live runner's next commit is refused, so it pauses), applies the events written
 * meanwhile, switches readers to the new generation in one write, hands the lease back, and drops
 * the old generation once readers' caches have expired. The live runner resumes on the new
 * generation from the rebuild's checkpoint.
 */
export async function rebuildOnline(
  eventStore: EventStore,
  store: GenerationalReadStore,
  options: OnlineRebuildOptions = {},
): Promise<OnlineRebuildReport> {
  const log = options.log ?? (() => undefined);
  const ttlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const started = process.hrtime.bigint();
  const live = await store.activeGeneration();
  const staging = await store.beginRebuild();
  const generation = staging.stagingGeneration;
  if (generation === undefined) throw new Error('beginRebuild() gave a store without a staging generation');
  const runner = createProjectionRunner(eventStore, staging);
  log(`rebuilding into generation ${generation}; generation ${live} keeps serving meanwhile`);
  let position = await runner.catchUp();
  log(`generation ${generation} reached position ${position}; taking the projection lease to finish`);

  const claim: LeaseClaim = { name: CHECKPOINT_NAME, holder: `rebuild/${newHolderId()}`, ttlMs };
  let state = await store.acquireLease(claim);
  if (!state.acquired && state.holder !== null) {
    state = await store.acquireLease(claim, { replacing: state.holder });
  }
  if (!state.acquired) {
    throw new Error(`could not take the projection lease from ${state.holder ?? 'nobody'}`);
  }
  const keep = setInterval(() => void store.renewLease(claim).catch(() => undefined), Math.floor(ttlMs / 3));
  let replaced: number;
  try {
    position = await runner.catchUp();
    replaced = await store.switchTo(staging);
  } finally {
    clearInterval(keep);
    await store.releaseLease(claim.name, claim.holder);
  }
  log(`readers switched to generation ${generation} at position ${position}`);

  const graceMs = options.graceMs ?? 10_000;
  if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
  const dropped = await store.dropGeneration(replaced);
  log(`dropped generation ${replaced} (${dropped.length} collections)`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { generation, replaced, position, seconds, dropped };
}

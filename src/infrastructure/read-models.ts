import type { EventStore } from '../application/ports/event-store';
import { isLeaseStore } from '../application/ports/lease-store';
import type { ReadStore } from '../application/ports/read-store';
import { PROJECTIONS, PROJECTIONS_VERSION } from '../projections';
import type { AppConfig } from './config/config';
import {
  LeaseGuard,
  OBSERVE_ONLY,
  type LeaseGuardOptions,
  type ProjectionLease,
} from '../projections/lease-guard';
import { ProjectionRunner } from '../projections/projection-runner';

export const CHECKPOINT_NAME = `read-models-v${PROJECTIONS_VERSION}`;

/** With a lease, several processes may run the projections: only the lease's holder applies batches. */
export function createProjectionRunner(
  eventStore: EventStore,
  readStore: ReadStore,
  lease?: ProjectionLease,
): ProjectionRunner {
  return new ProjectionRunner(eventStore, readStore, PROJECTIONS, {
    checkpointName: CHECKPOINT_NAME,
    ...(lease ? { lease } : {}),
  });
}

/**
 * How this process takes part in the projections: `embedded` competes for the lease (and applies
 * while it holds it); `external` never applies, it follows the checkpoint of `npm run projections`.
 */
export function projectionLease(
  config: Pick<AppConfig, 'projections' | 'projectionLeaseTtlMs'>,
  readStore: ReadStore,
  options: Pick<LeaseGuardOptions, 'isDeadHolder'> = {},
): ProjectionLease | undefined {
  if (config.projections === 'external') return OBSERVE_ONLY;
  if (!isLeaseStore(readStore)) return undefined;
  return new LeaseGuard(readStore, { name: CHECKPOINT_NAME, ttlMs: config.projectionLeaseTtlMs, ...options });
}

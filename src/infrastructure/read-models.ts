import type { EventStore } from '../application/ports/event-store';
import type { ReadStore } from '../application/ports/read-store';
import { PROJECTIONS, PROJECTIONS_VERSION } from '../projections';
import { ProjectionRunner } from '../projections/projection-runner';

export const CHECKPOINT_NAME = `read-models-v${PROJECTIONS_VERSION}`;

export function createProjectionRunner(eventStore: EventStore, readStore: ReadStore): ProjectionRunner {
  return new ProjectionRunner(eventStore, readStore, PROJECTIONS, { checkpointName: CHECKPOINT_NAME });
}

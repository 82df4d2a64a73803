import type { StoredEvent } from '../application/ports/event-store';
import { categoryOf, idOf } from '../application/streams';
import { CERTIFICATE_EVENT_TYPES } from '../domain/certificate/certificate';
import { documentProjection } from './projection';

/** One decision by one person: every event is one. Holds ids and types only, never personal data. */
export interface DecisionDoc {
  [key: string]: unknown;
  id: string;
  actorId: string;
  actorRole: string;
  actorAgencyId: string | null;
  type: string;
  entity: string;
  entityId: string;
  occurredAt: string;
  position: number;
  correlationId: string;
}

export const DECISIONS = 'decisions';

const DECIDED_ON = new Set(['agency', 'worker', 'certificate', 'trainingprovider', 'training']);

export const decisionsProjection = documentProjection<DecisionDoc>({
  name: 'decisions',
  collection: { name: DECISIONS, indexes: ['actorId', 'position'] },
  eventTypes: [
    'AgencyRegistered',
    'WorkerRegistered',
    'ConsentRecorded',
    'WorkerInfoUpdated',
    'WorkerErased',
    ...CERTIFICATE_EVENT_TYPES,
    'TrainingProviderRegistered',
    'TrainingSessionScheduled',
    'AttendanceRecorded',
    'ProgressRecorded',
    'SupervisionRecorded',
    'ExamScoresRecorded',
  ],
  idOf: (event) => (DECIDED_ON.has(categoryOf(event.streamId)) ? event.id : null),
  evolve: (_doc, event: StoredEvent) => ({
    id: event.id,
    actorId: event.metadata.actor.id,
    actorRole: event.metadata.actor.role,
    actorAgencyId: event.metadata.actor.agencyId ?? null,
    type: event.type,
    entity: categoryOf(event.streamId),
    entityId: idOf(event.streamId),
    occurredAt: event.metadata.occurredAt,
    position: event.position,
    correlationId: event.metadata.correlationId,
  }),
});

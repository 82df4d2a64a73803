import type { StoredEvent } from '../application/ports/event-store';
import { categoryOf, idOf } from '../application/streams';
import { CERTIFICATE_EVENT_TYPES } from '../domain/certificate/certificate';
import { type Projection, type ProjectionContext, withDocument } from './projection';

/** A decision as kept in its actor's page: the page already names the actor. */
export interface DecisionEntry {
  id: string;
  actorRole: string;
  actorAgencyId: string | null;
  type: string;
  entity: string;
  entityId: string;
  occurredAt: string;
  position: number;
  correlationId: string;
}

/** One decision by one person: every event is one. Holds ids and types only, never personal data. */
export type DecisionDoc = DecisionEntry & { actorId: string };

/**
 * One actor's decisions in log order, `DECISIONS_PER_PAGE` to a document (`<actorId>#<page>`).
 * One document per decision made a rebuild write as many rows as the log has events; pages make it
 * a few per actor per batch, and any page of the audit listing is a few reads. Pages stay small
 * because every new decision rewrites its page: at 256 entries (80 KB) that rewrite was most of the
 * bytes every live command made the projection runner write.
 */
export interface DecisionPageDoc {
  [key: string]: unknown;
  id: string;
  actorId: string;
  page: number;
  entries: DecisionEntry[];
}

/** How many decisions an actor has made (which page is being filled; the listing's total), and the last. */
export interface DecisionCountDoc {
  [key: string]: unknown;
  id: string;
  count: number;
  lastPosition: number;
}

export const DECISIONS = 'decisions';
export const DECISION_COUNTS = 'decision_counts';
export const DECISIONS_PER_PAGE = 16;

export function decisionPageId(actorId: string, page: number): string {
  return `${actorId}#${page}`;
}

const DECIDED_ON = new Set(['agency', 'worker', 'certificate', 'trainingprovider', 'training']);

function entryOf(event: StoredEvent): DecisionEntry {
  return {
    id: event.id,
    actorRole: event.metadata.actor.role,
    actorAgencyId: event.metadata.actor.agencyId ?? null,
    type: event.type,
    entity: categoryOf(event.streamId),
    entityId: idOf(event.streamId),
    occurredAt: event.metadata.occurredAt,
    position: event.position,
    correlationId: event.metadata.correlationId,
  };
}

export const decisionsProjection: Projection = {
  name: 'decisions',
  collections: [
    { name: DECISIONS, indexes: [] },
    { name: DECISION_COUNTS, indexes: [] },
  ],
  eventTypes: new Set([
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
  ]),

  apply(event: StoredEvent, context: ProjectionContext): Promise<void> | void {
    if (!DECIDED_ON.has(categoryOf(event.streamId))) return;
    const actorId = event.metadata.actor.id;
    return withDocument<DecisionCountDoc, void>(context, DECISION_COUNTS, actorId, (counted) => {
      // Guarded by position: an event already listed (a replay) changes nothing.
      if (counted && counted.lastPosition >= event.position) return;
      const count = counted?.count ?? 0;
      const page = Math.floor(count / DECISIONS_PER_PAGE);
      const pageId = decisionPageId(actorId, page);
      return withDocument<DecisionPageDoc, void>(context, DECISIONS, pageId, (current) => {
        const entries = current ? current.entries : [];
        // Pages are only ever appended to, in log order, by this runner alone: extending the array
        // in place spares copying up to a page for every decision.
        entries.push(entryOf(event));
        context.put(DECISIONS, pageId, current ?? { id: pageId, actorId, page, entries });
        context.put(DECISION_COUNTS, actorId, {
          id: actorId,
          count: count + 1,
          lastPosition: event.position,
        });
      });
    });
  },
};

import type { StoredEvent } from '../application/ports/event-store';
import { categoryOf, idOf } from '../application/streams';
import { CERTIFICATE_EVENT_TYPES } from '../domain/certificate/certificate';
import { type Projection, type ProjectionContext, withDocument } from './projection';

/** A decision as listed: one event, told by who made it. Holds ids and types only, never personal data. */
export interface DecisionDoc {
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

/**
 * One actor's decisions in log order, `DECISIONS_PER_PAGE` to a document (`<actorId>#<page>`): the
 * positions of the events, which the listing reads from the log (`decisionOf`). The log already
 * holds who decided what and when, so this read model only indexes it by actor: copying each
 * decision's fields made it the largest read model (~5.4 KB a page of 16, 470 MB at Shanghai scale,
 * a third of a rebuild's CPU on its thread), and what an auditor is shown is the log's own record.
 * Pages keep a live decision's rewrite small (64 positions, ~0.5 KB).
 */
export interface DecisionPageDoc {
  [key: string]: unknown;
  id: string;
  actorId: string;
  page: number;
  positions: number[];
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
export const DECISIONS_PER_PAGE = 64;

export function decisionPageId(actorId: string, page: number): string {
  return `${actorId}#${page}`;
}

const DECIDED_ON = new Set(['agency', 'worker', 'certificate', 'trainingprovider', 'training']);

/** The listing's entry for a decision, from its event. */
export function decisionOf(event: StoredEvent): DecisionDoc {
  return {
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
        const positions = current ? current.positions : [];
        // Pages are only ever appended to, in log order, by this runner alone: extending the array
        // in place spares copying up to a page for every decision.
        positions.push(event.position);
        context.put(DECISIONS, pageId, current ?? { id: pageId, actorId, page, positions });
        context.put(DECISION_COUNTS, actorId, {
          id: actorId,
          count: count + 1,
          lastPosition: event.position,
        });
      });
    });
  },
};

import type { StoredEvent } from '../application/ports/event-store';
import { certificateEventTypes, certificateIdOf } from './certificate-events';
import { documentProjection } from './projection';

export interface HistoryEntry {
  position: number;
  revision: number;
  eventId: string;
  type: string;
  occurredAt: string;
  actor: { id: string; role: string; agencyId?: string };
  commandId: string;
  correlationId: string;
  data: Record<string, unknown>;
}

/** Every event of one certificate with who did it and when (certificate events hold no personal data). */
export interface CertificateHistoryDoc {
  [key: string]: unknown;
  id: string;
  entries: HistoryEntry[];
}

export const CERTIFICATE_HISTORY = 'certificate_history';

export function historyEntry(event: StoredEvent): HistoryEntry {
  return {
    position: event.position,
    revision: event.revision,
    eventId: event.id,
    type: event.type,
    occurredAt: event.metadata.occurredAt,
    actor: event.metadata.actor,
    commandId: event.metadata.commandId,
    correlationId: event.metadata.correlationId,
    data: event.data as Record<string, unknown>,
  };
}

export const certificateHistoryProjection = documentProjection<CertificateHistoryDoc>({
  name: 'certificate-history',
  collection: { name: CERTIFICATE_HISTORY, indexes: [] },
  eventTypes: certificateEventTypes,
  idOf: certificateIdOf,
  evolve: (doc, event) => {
    // Guarded by revision: replaying an event already recorded changes nothing.
    if (doc && doc.entries.some((entry) => entry.revision >= event.revision)) return doc;
    return { id: certificateIdOf(event)!, entries: [...(doc?.entries ?? []), historyEntry(event)] };
  },
});

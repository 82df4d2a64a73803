import type { StoredEvent } from '../application/ports/event-store';
import { certificateDecider, type CertificateState } from '../domain/certificate/certificate';
import {
  awaitedGate,
  certificateEventTypes,
  certificateIdOf,
  type QueueGate,
  type RecordedCertificateEvent,
  STATUS_AT_GATE,
} from './certificate-events';
import { type Projection, type ProjectionContext, withDocument } from './projection';

/** An application waiting at a gate; the entry disappears when the gate is passed or failed. */
export interface QueueEntryDoc {
  [key: string]: unknown;
  id: string;
  gate: string;
  agencyId: string;
  district: string;
  workerId: string;
  since: string;
  position: number;
}

export const QUEUE = 'queue';

/**
 * The certificate's state as far as the queues need it, from its entry alone: an application leaves
 * the gates only forwards (issued, rejected, revoked), never back, so a certificate without an entry
 * is either not applied for yet or past every gate, and the decider's `none` serves both (it turns
 * only `CertificateApplied` into a waiting application).
 */
function stateOf(entry: QueueEntryDoc | null): CertificateState {
  if (!entry) return certificateDecider.initialState;
  const status = STATUS_AT_GATE[entry.gate as QueueGate] as (typeof STATUS_AT_GATE)[QueueGate] | undefined;
  if (status === undefined) throw new Error(`queue entry ${entry.id} names no gate: ${entry.gate}`);
  return {
    status,
    certificateId: entry.id,
    workerId: entry.workerId,
    agencyId: entry.agencyId,
    district: entry.district,
  };
}

/**
 * Reads only its own entries, folding the certificate decider's `evolve` over them, so it needs no
 * other projection: a rebuild runs it on the thread that has time to spare (rebuild.ts).
 */
export const queuesProjection: Projection = {
  name: 'queues',
  collections: [{ name: QUEUE, indexes: ['gate', 'agencyId', 'position'] }],
  // A certificate is handed over only once issued, past every gate: that event never moves an entry
  // (a tenth of the log's certificate events, not shown to the queues).
  eventTypes: new Set(certificateEventTypes.filter((type) => type !== 'CertificateHandedOver')),

  apply(event: StoredEvent, context: ProjectionContext): Promise<void> | void {
    const id = certificateIdOf(event);
    if (!id) return;
    return withDocument<QueueEntryDoc, void>(context, QUEUE, id, (entry) => {
      const state = certificateDecider.evolve(stateOf(entry), event as RecordedCertificateEvent);
      const gate = awaitedGate(state.status);
      if (gate === null || state.status === 'none') {
        if (entry) context.delete(QUEUE, id);
        return;
      }
      // Waiting since this event, in the log's order.
      const next: QueueEntryDoc = {
        id,
        gate,
        agencyId: state.agencyId,
        district: state.district,
        workerId: state.workerId,
        since: event.metadata.occurredAt,
        position: event.position,
      };
      context.put(QUEUE, id, next);
    });
  },
};

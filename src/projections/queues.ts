import type { StoredEvent } from '../application/ports/event-store';
import { certificateEventTypes, certificateIdOf } from './certificate-events';
import { CERTIFICATES, type CertificateDoc } from './certificates';
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

/** Follows the certificate detail document, so it must run after the certificates projection. */
export const queuesProjection: Projection = {
  name: 'queues',
  collections: [{ name: QUEUE, indexes: ['gate', 'agencyId', 'position'] }],
  eventTypes: new Set(certificateEventTypes),

  apply(event: StoredEvent, context: ProjectionContext): Promise<void> | void {
    const id = certificateIdOf(event);
    if (!id) return;
    return withDocument<CertificateDoc, void>(context, CERTIFICATES, id, (certificate) => {
      if (!certificate?.awaiting) {
        context.delete(QUEUE, id);
        return;
      }
      const entry: QueueEntryDoc = {
        id,
        gate: certificate.awaiting,
        agencyId: certificate.agencyId,
        district: certificate.district,
        workerId: certificate.workerId,
        since: event.metadata.occurredAt,
        position: event.position,
      };
      context.put(QUEUE, id, entry);
    });
  },
};

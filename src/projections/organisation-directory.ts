import type { StoredEvent } from '../application/ports/event-store';
import { districtName, type DistrictCode } from '../domain/agency/district';
import { documentProjection, type Projection } from './projection';

/** A registered organisation (agency or training provider) as other read models name it. */
export interface OrganisationDoc {
  [key: string]: unknown;
  id: string;
  name: string;
  creditCode: string;
  district: string;
  districtName: string;
  registeredAt: string;
}

interface Registration {
  name: string;
  creditCode: string;
  district: string;
}

/** One directory projection per kind of organisation: same document, its own event and id field. */
export function organisationDirectory(spec: {
  name: string;
  collection: string;
  registeredEvent: string;
  idField: string;
}): Projection {
  const idOf = (event: StoredEvent) => (event.data as Record<string, string>)[spec.idField]!;
  return documentProjection<OrganisationDoc>({
    name: spec.name,
    // Read by id, or all of them (the statistics by agency).
    collection: { name: spec.collection, indexes: [] },
    eventTypes: [spec.registeredEvent],
    idOf,
    evolve: (_doc, event) => {
      const data = event.data as unknown as Registration;
      return {
        id: idOf(event),
        name: data.name,
        creditCode: data.creditCode,
        district: data.district,
        districtName: districtName(data.district as DistrictCode),
        registeredAt: event.metadata.occurredAt,
      };
    },
  });
}

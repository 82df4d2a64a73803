import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../domain/actor';
import {
  certificateDecider,
  type CertificateEvent,
  type CertificateState,
} from '../../domain/certificate/certificate';
import { forbidden, notFound } from '../../domain/errors';
import { ACCOUNTABILITY, type AccountabilityDoc } from '../../projections/accountability';
import {
  CERTIFICATE_HISTORY,
  type CertificateHistoryDoc,
  type HistoryEntry,
} from '../../projections/certificate-history';
import { CERTIFICATES, type CertificateDoc } from '../../projections/certificates';
import { PUBLIC_CERTIFICATES, type PublicCertificateDoc } from '../../projections/public-certificates';
import { QUEUE, type QueueEntryDoc } from '../../projections/queues';
import type { QueueGate } from '../../projections/certificate-events';
import { WORKERS, type WorkerDoc } from '../../projections/workers';
import { READ_STORE, type ReadStore } from '../ports/read-store';
import { PersonalDataReader } from '../worker/personal-data-reader';

/** Staff who may read any certificate; an agency operator reads only its own agency's. */
const READS_ANY_CERTIFICATE = new Set(['platform_reviewer', 'police_liaison', 'regulator', 'auditor']);

export function refuseCertificateRead(actor: Actor, certificate: { agencyId: string }): void {
  if (READS_ANY_CERTIFICATE.has(actor.role)) return;
  if (actor.role === 'agency_operator' && actor.agencyId === certificate.agencyId) return;
  throw forbidden('this certificate is outside your scope');
}

export class GetCertificateQuery {
  constructor(
    readonly certificateId: string,
    readonly actor: Actor,
    readonly correlationId?: string,
  ) {}
}

/**
 * The holder's name is shown in clear only to roles whose disclosure tier includes it (the own
 * agency, reviewers, police, regulators), and that read is recorded in the access log; an auditor
 * sees it masked.
 */
@QueryHandler(GetCertificateQuery)
export class GetCertificateHandler implements IQueryHandler<GetCertificateQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly personalData: PersonalDataReader,
  ) {}

  async execute({ certificateId, actor, correlationId }: GetCertificateQuery) {
    const certificate = await this.readStore.get<CertificateDoc>(CERTIFICATES, certificateId);
    if (!certificate) throw notFound(`certificate ${certificateId} does not exist`);
    refuseCertificateRead(actor, certificate);
    const worker = await this.readStore.get<WorkerDoc>(WORKERS, certificate.workerId);
    if (!worker) return { ...certificate, worker: null };
    const person = await this.personalData.read(worker, {
      actor,
      route: 'GET /api/v1/certificates/:id',
      fields: ['name'],
      onNoScope: 'mask',
      ...(correlationId ? { correlationId } : {}),
    });
    return { ...certificate, worker: { id: worker.id, name: person.name, erased: person.erased } };
  }
}

export class GetPublicCertificateQuery {
  constructor(readonly code: string) {}
}

export type PublicCertificateView = Omit<PublicCertificateDoc, 'certificateId' | 'workerId' | 'agency'> & {
  agency: Omit<PublicCertificateDoc['agency'], 'id'>;
};

@QueryHandler(GetPublicCertificateQuery)
export class GetPublicCertificateHandler implements IQueryHandler<GetPublicCertificateQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ code }: GetPublicCertificateQuery): Promise<PublicCertificateView> {
    const doc = await this.readStore.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, code);
    if (!doc) throw notFound(`no certificate has the code ${code}`);
    // Internal ids stay internal: the public view names the holder only masked.
    const { certificateId: _c, workerId: _w, agency, ...view } = doc;
    return {
      ...view,
      agency: { name: agency.name, district: agency.district, districtName: agency.districtName },
    };
  }
}

export class GetCertificateHistoryQuery {
  constructor(
    readonly certificateId: string,
    readonly asOf?: string,
  ) {}
}

@QueryHandler(GetCertificateHistoryQuery)
export class GetCertificateHistoryHandler implements IQueryHandler<GetCertificateHistoryQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ certificateId, asOf }: GetCertificateHistoryQuery) {
    const doc = await this.readStore.get<CertificateHistoryDoc>(CERTIFICATE_HISTORY, certificateId);
    if (!doc) throw notFound(`certificate ${certificateId} does not exist`);
    const entries = asOf ? doc.entries.filter((entry) => entry.occurredAt <= asOf) : doc.entries;
    return { certificateId, asOf: asOf ?? null, state: stateAfter(entries), entries };
  }
}

/** Folds history entries with the write model's own evolve: the state as it was at that moment. */
function stateAfter(entries: readonly HistoryEntry[]): CertificateState {
  return entries.reduce(
    (state, entry) =>
      certificateDecider.evolve(state, { type: entry.type, data: entry.data } as CertificateEvent),
    certificateDecider.initialState,
  );
}

export class GetAccountabilityQuery {
  constructor(readonly certificateId: string) {}
}

@QueryHandler(GetAccountabilityQuery)
export class GetAccountabilityHandler implements IQueryHandler<GetAccountabilityQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ certificateId }: GetAccountabilityQuery): Promise<AccountabilityDoc> {
    const doc = await this.readStore.get<AccountabilityDoc>(ACCOUNTABILITY, certificateId);
    if (!doc) throw notFound(`certificate ${certificateId} does not exist`);
    return doc;
  }
}

export class GetQueueQuery {
  constructor(
    readonly gate: QueueGate,
    readonly actor: Actor,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

@QueryHandler(GetQueueQuery)
export class GetQueueHandler implements IQueryHandler<GetQueueQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ gate, actor, limit, offset }: GetQueueQuery) {
    // The company check is each agency's own queue; the other gates are city-wide.
    const filter: Record<string, string> =
      actor.role === 'agency_operator' ? { gate, agencyId: actor.agencyId ?? '' } : { gate };
    const [items, total] = await Promise.all([
      this.readStore.find<QueueEntryDoc>(QUEUE, filter, { orderBy: 'position', limit, offset }),
      this.readStore.count(QUEUE, filter),
    ]);
    return { gate, total, items };
  }
}

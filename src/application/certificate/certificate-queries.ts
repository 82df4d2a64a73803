import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../domain/actor';
import { parseCertificateCode } from '../../domain/certificate/certificate-code';
import { forbidden, notFound } from '../../domain/errors';
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

/** What anyone may see of a certificate: no internal id, the holder's name only masked. */
export interface PublicCertificateView {
  readonly code: string;
  readonly status: PublicCertificateDoc['status'];
  readonly holder: string;
  readonly issuedAt: string;
  readonly handedOver: boolean;
  readonly revokedAt: string | null;
  readonly training: PublicCertificateDoc['training'];
  readonly ratings: PublicCertificateDoc['ratings'];
  readonly agency: Omit<PublicCertificateDoc['agency'], 'id'>;
}

/**
 * The public view of the certificate with the code a person typed (spaces, hyphens and lower case
 * accepted): invalid for a malformed or mistyped code, told apart from an unknown one (not found).
 * The public HTTP route and the query bus both answer through it.
 */
export async function findPublicCertificate(
  readStore: Pick<ReadStore, 'get'>,
  typed: string,
): Promise<PublicCertificateView> {
  const code = parseCertificateCode(typed);
  const doc = await readStore.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, code);
  if (!doc) throw notFound(`no certificate has the code ${code}`);
  // Field by field: internal ids stay internal, and so does any field the document gains later.
  const { agency } = doc;
  return {
    code: doc.code,
    status: doc.status,
    holder: doc.holder,
    issuedAt: doc.issuedAt,
    handedOver: doc.handedOver,
    revokedAt: doc.revokedAt,
    training: doc.training,
    ratings: doc.ratings,
    agency: { name: agency.name, district: agency.district, districtName: agency.districtName },
  };
}

export class GetPublicCertificateQuery {
  /** The code as typed (see `findPublicCertificate`). */
  constructor(readonly code: string) {}
}

@QueryHandler(GetPublicCertificateQuery)
export class GetPublicCertificateHandler implements IQueryHandler<GetPublicCertificateQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  execute({ code }: GetPublicCertificateQuery): Promise<PublicCertificateView> {
    return findPublicCertificate(this.readStore, code);
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

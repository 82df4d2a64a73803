import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../domain/actor';
import {
  certificateDecider,
  type CertificateEvent,
  type CertificateState,
} from '../../domain/certificate/certificate';
import { notFound } from '../../domain/errors';
import type { RecordedCertificateEvent } from '../../projections/certificate-events';
import { EVENT_STORE, type EventStore, type StoredEvent } from '../ports/event-store';
import { streams } from '../streams';

/**
 * The audit views of one certificate are read from its own stream, the record itself, rather than
 * from copies kept in the read models: they are always current, cost nothing to project or rebuild,
 * and a stream is short (a dozen events at most). Certificate events hold no personal data.
 */

export interface HistoryEntry {
  position: number;
  revision: number;
  eventId: string;
  type: string;
  occurredAt: string;
  actor: Actor;
  commandId: string;
  correlationId: string;
  data: Record<string, unknown>;
}

export interface CertificateHistory {
  certificateId: string;
  asOf: string | null;
  state: CertificateState;
  entries: HistoryEntry[];
}

export interface Accountable {
  by: Actor;
  at: string;
  eventId: string;
  position: number;
  outcome?: string;
  note?: string;
  reason?: string;
  reference?: string;
  mode?: string;
  batchRef?: string;
  code?: string;
}

/** Who passed each gate, issued, handed out and revoked, and when (谁发证谁负责). */
export interface Accountability {
  id: string;
  applied: Accountable | null;
  companyCheck: Accountable | null;
  platformVerification: Accountable | null;
  policeCheck: Accountable | null;
  issued: Accountable | null;
  handedOver: Accountable | null;
  revoked: Accountable | null;
}

type Step = Exclude<keyof Accountability, 'id'>;

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

/** Folds history entries with the write model's own evolve: the state as it was at that moment. */
function stateAfter(entries: readonly HistoryEntry[]): CertificateState {
  return entries.reduce(
    (state, entry) =>
      certificateDecider.evolve(state, { type: entry.type, data: entry.data } as CertificateEvent),
    certificateDecider.initialState,
  );
}

function stepOf(event: RecordedCertificateEvent): [Step, Partial<Accountable>] {
  switch (event.type) {
    case 'CertificateApplied':
      return ['applied', {}];
    case 'CompanyCheckPassed':
      return ['companyCheck', { outcome: 'passed', ...(event.data.note ? { note: event.data.note } : {}) }];
    case 'CompanyCheckFailed':
      return ['companyCheck', { outcome: 'failed', reason: event.data.reason }];
    case 'PlatformVerificationPassed':
      return [
        'platformVerification',
        { outcome: 'passed', ...(event.data.note ? { note: event.data.note } : {}) },
      ];
    case 'PlatformVerificationFailed':
      return ['platformVerification', { outcome: 'failed', reason: event.data.reason }];
    case 'PoliceComparisonClear':
      return ['policeCheck', { outcome: 'clear', reference: event.data.reference }];
    case 'PoliceRecordFound':
      return ['policeCheck', { outcome: 'record_found', reference: event.data.reference }];
    case 'CertificateIssued':
      return ['issued', { code: event.data.code }];
    case 'CertificateHandedOver':
      return [
        'handedOver',
        { mode: event.data.mode, ...(event.data.batchRef ? { batchRef: event.data.batchRef } : {}) },
      ];
    case 'CertificateRevoked':
      return ['revoked', { reason: event.data.reason }];
  }
}

export function accountabilityOf(certificateId: string, events: readonly StoredEvent[]): Accountability {
  const accountability: Accountability = {
    id: certificateId,
    applied: null,
    companyCheck: null,
    platformVerification: null,
    policeCheck: null,
    issued: null,
    handedOver: null,
    revoked: null,
  };
  for (const event of events) {
    const [step, facts] = stepOf(event as RecordedCertificateEvent);
    accountability[step] = {
      by: event.metadata.actor,
      at: event.metadata.occurredAt,
      eventId: event.id,
      position: event.position,
      ...facts,
    };
  }
  return accountability;
}

/** The certificate's events, oldest first; 404 when it never existed. */
async function certificateEvents(eventStore: EventStore, certificateId: string): Promise<StoredEvent[]> {
  const events = await eventStore.readStream(streams.certificate(certificateId));
  if (events.length === 0) throw notFound(`certificate ${certificateId} does not exist`);
  return events;
}

export class GetCertificateHistoryQuery {
  constructor(
    readonly certificateId: string,
    readonly asOf?: string,
  ) {}
}

@QueryHandler(GetCertificateHistoryQuery)
export class GetCertificateHistoryHandler implements IQueryHandler<GetCertificateHistoryQuery> {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: EventStore) {}

  async execute({ certificateId, asOf }: GetCertificateHistoryQuery): Promise<CertificateHistory> {
    const all = (await certificateEvents(this.eventStore, certificateId)).map(historyEntry);
    const entries = asOf ? all.filter((entry) => entry.occurredAt <= asOf) : all;
    return { certificateId, asOf: asOf ?? null, state: stateAfter(entries), entries };
  }
}

export class GetAccountabilityQuery {
  constructor(readonly certificateId: string) {}
}

@QueryHandler(GetAccountabilityQuery)
export class GetAccountabilityHandler implements IQueryHandler<GetAccountabilityQuery> {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: EventStore) {}

  async execute({ certificateId }: GetAccountabilityQuery): Promise<Accountability> {
    return accountabilityOf(certificateId, await certificateEvents(this.eventStore, certificateId));
  }
}

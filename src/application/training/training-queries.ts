import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../domain/actor';
import { forbidden, notFound } from '../../domain/errors';
import { AGENCIES, type AgencyDoc } from '../../projections/agencies';
import { ROSTER, type RosterEntryDoc } from '../../projections/roster';
import { TRAINING_PROVIDERS, type TrainingProviderDoc } from '../../projections/training-providers';
import { TRAINING_SESSIONS, type TrainingSessionDoc } from '../../projections/training-sessions';
import { WORKERS, type WorkerDoc } from '../../projections/workers';
import { READ_STORE, type ReadStore } from '../ports/read-store';
import { PersonalDataReader } from '../worker/personal-data-reader';

export class GetTrainingSessionQuery {
  constructor(
    readonly sessionId: string,
    readonly actor: Actor,
  ) {}
}

@QueryHandler(GetTrainingSessionQuery)
export class GetTrainingSessionHandler implements IQueryHandler<GetTrainingSessionQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ sessionId, actor }: GetTrainingSessionQuery): Promise<TrainingSessionDoc> {
    const session = await this.readStore.get<TrainingSessionDoc>(TRAINING_SESSIONS, sessionId);
    if (!session) throw notFound(`training session ${sessionId} does not exist`);
    const own = actor.role === 'training_provider' && actor.agencyId === session.providerId;
    if (!own && actor.role !== 'regulator') throw forbidden('this training session is outside your scope');
    return session;
  }
}

export type RosterOwner = { kind: 'agency' | 'provider'; id: string };

/** A half-open period [from, to) of ISO instants; either end may be open. */
export interface Period {
  readonly from?: string;
  readonly to?: string;
}

export class GetRosterQuery {
  constructor(
    readonly owner: RosterOwner,
    readonly actor: Actor,
    readonly period: Period,
  ) {}
}

/** One trained worker on a roster (名册): what the Commerce Commission is given before funds are paid. */
export interface RosterRow {
  workerId: string;
  name: string;
  idNumber: string;
  certificateCode: string | null;
  certificateStatus: 'issued' | 'revoked' | null;
  agency: string;
  phone: string;
  examScore: number;
  classHours: number;
  trainingProvider: string;
  completedAt: string;
}

export interface RosterView {
  owner: RosterOwner & { name: string };
  period: { from: string | null; to: string | null };
  rows: RosterRow[];
}

/** Only the regulator and the agency (or provider) itself read a roster: it carries ID numbers and phones. */
function refuseRosterRead(actor: Actor, owner: RosterOwner): void {
  if (actor.role === 'regulator') return;
  const ownRole = owner.kind === 'agency' ? 'agency_operator' : 'training_provider';
  if (actor.role === ownRole && actor.agencyId === owner.id) return;
  throw forbidden(
    `only the regulator and this ${owner.kind === 'agency' ? 'agency' : 'training provider'} may read its roster`,
  );
}

@QueryHandler(GetRosterQuery)
export class GetRosterHandler implements IQueryHandler<GetRosterQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly personalData: PersonalDataReader,
  ) {}

  async execute({ owner, actor, period }: GetRosterQuery): Promise<RosterView> {
    refuseRosterRead(actor, owner);
    const ownerDoc =
      owner.kind === 'agency'
        ? await this.readStore.get<AgencyDoc>(AGENCIES, owner.id)
        : await this.readStore.get<TrainingProviderDoc>(TRAINING_PROVIDERS, owner.id);
    if (!ownerDoc) {
      throw notFound(
        `${owner.kind === 'agency' ? 'agency' : 'training provider'} ${owner.id} does not exist`,
      );
    }
    const entries = await this.readStore.find<RosterEntryDoc>(
      ROSTER,
      owner.kind === 'agency' ? { agencyId: owner.id } : { providerId: owner.id },
    );
    const inPeriod = entries
      .filter(
        (entry) =>
          (period.from === undefined || entry.completedAt >= period.from) &&
          (period.to === undefined || entry.completedAt < period.to),
      )
      .sort((a, b) => a.completedAt.localeCompare(b.completedAt) || a.id.localeCompare(b.id));

    const names = new Map<string, string>();
    const nameOf = async (collection: string, id: string): Promise<string> => {
      const key = `${collection}:${id}`;
      if (!names.has(key)) {
        names.set(key, (await this.readStore.get<{ name: string }>(collection, id))?.name ?? '');
      }
      return names.get(key)!;
    };
    // Names, ID numbers and phones come only through the reader, which logs the disclosure.
    const workers = await Promise.all(
      inPeriod.map((entry) => this.readStore.get<WorkerDoc>(WORKERS, entry.workerId)),
    );
    const known = workers.filter((worker): worker is WorkerDoc => worker !== null);
    const people = await this.personalData.readMany(known, {
      actor,
      route: `GET /api/v1/${owner.kind === 'agency' ? 'agencies' : 'training-providers'}/:id/roster`,
      // The default disclosure policy covers the regulator and the agency; a provider sees its own trainees.
      ...(actor.role === 'training_provider'
        ? { grantedBy: `roster of training provider ${owner.id}: the workers it trained` }
        : {}),
    });
    const personOf = new Map(people.map((person) => [person.workerId, person]));
    const rows: RosterRow[] = [];
    for (const entry of inPeriod) {
      const { name, idNumber, phone } = personOf.get(entry.workerId) ?? { name: '', idNumber: '', phone: '' };
      rows.push({
        workerId: entry.workerId,
        name,
        idNumber,
        certificateCode: entry.certificateCode,
        certificateStatus: entry.certificateStatus,
        agency: await nameOf(AGENCIES, entry.agencyId),
        phone,
        examScore: entry.examScore,
        classHours: entry.classHours,
        trainingProvider: await nameOf(TRAINING_PROVIDERS, entry.providerId),
        completedAt: entry.completedAt,
      });
    }
    return {
      owner: { ...owner, name: ownerDoc.name },
      period: { from: period.from ?? null, to: period.to ?? null },
      rows,
    };
  }
}

import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../domain/actor';
import { forbidden, notFound } from '../../domain/errors';
import { WORKERS, type WorkerDoc } from '../../projections/workers';
import { ACCESS_LOG, type AccessLog } from '../ports/access-log';
import { READ_STORE, type ReadStore } from '../ports/read-store';
import { PersonalDataReader } from './personal-data-reader';

export class GetWorkerQuery {
  constructor(
    readonly workerId: string,
    readonly actor: Actor,
    readonly route: string,
    readonly correlationId?: string,
  ) {}
}

/** The staff view of one worker, personal data disclosed per the actor's tier (and logged). */
@QueryHandler(GetWorkerQuery)
export class GetWorkerHandler implements IQueryHandler<GetWorkerQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly personalData: PersonalDataReader,
  ) {}

  async execute({ workerId, actor, route, correlationId }: GetWorkerQuery) {
    const doc = await this.readStore.get<WorkerDoc>(WORKERS, workerId);
    if (!doc) throw notFound(`worker ${workerId} does not exist`);
    const person = await this.personalData.read(doc, { actor, route, correlationId });
    const { sealedPersonal: _sealed, maskedName: _masked, ...rest } = doc;
    return {
      ...rest,
      name: person.name,
      idNumber: person.idNumber,
      phone: person.phone,
      disclosed: person.disclosed,
    };
  }
}

export class GetWorkerAccessLogQuery {
  constructor(
    readonly workerId: string,
    readonly actor: Actor,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

/** Who read this worker's personal data: for the worker's own agency and for regulators. */
@QueryHandler(GetWorkerAccessLogQuery)
export class GetWorkerAccessLogHandler implements IQueryHandler<GetWorkerAccessLogQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(ACCESS_LOG) private readonly accessLog: AccessLog,
  ) {}

  async execute({ workerId, actor, limit, offset }: GetWorkerAccessLogQuery) {
    const doc = await this.readStore.get<WorkerDoc>(WORKERS, workerId);
    if (!doc) throw notFound(`worker ${workerId} does not exist`);
    const own = actor.role === 'agency_operator' && actor.agencyId === doc.agencyId;
    if (!own && actor.role !== 'regulator')
      throw forbidden(`the access log of worker ${workerId} is outside your scope`);
    const page = await this.accessLog.forWorker(workerId, { limit, offset });
    return {
      workerId,
      total: page.total,
      items: page.items.map(({ seq: _seq, workerId: _w, ...entry }) => entry),
    };
  }
}

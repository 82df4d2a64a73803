import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DECISIONS, type DecisionDoc } from '../../projections/decisions';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export class GetActorDecisionsQuery {
  constructor(
    readonly actorId: string,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

@QueryHandler(GetActorDecisionsQuery)
export class GetActorDecisionsHandler implements IQueryHandler<GetActorDecisionsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ actorId, limit, offset }: GetActorDecisionsQuery) {
    const [items, total] = await Promise.all([
      this.readStore.find<DecisionDoc>(DECISIONS, { actorId }, { orderBy: 'position', limit, offset }),
      this.readStore.count(DECISIONS, { actorId }),
    ]);
    return { actorId, total, items };
  }
}

import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import {
  DECISION_COUNTS,
  DECISIONS,
  DECISIONS_PER_PAGE,
  decisionPageId,
  type DecisionCountDoc,
  type DecisionDoc,
  type DecisionPageDoc,
} from '../../projections/decisions';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export class GetActorDecisionsQuery {
  constructor(
    readonly actorId: string,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

/** Everything one person decided, oldest first, a page of `limit` from `offset`. */
@QueryHandler(GetActorDecisionsQuery)
export class GetActorDecisionsHandler implements IQueryHandler<GetActorDecisionsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ actorId, limit, offset }: GetActorDecisionsQuery) {
    const counted = await this.readStore.get<DecisionCountDoc>(DECISION_COUNTS, actorId);
    const total = counted?.count ?? 0;
    const end = Math.min(offset + limit, total);
    const items: DecisionDoc[] = [];
    for (let page = Math.floor(offset / DECISIONS_PER_PAGE); page * DECISIONS_PER_PAGE < end; page++) {
      const doc = await this.readStore.get<DecisionPageDoc>(DECISIONS, decisionPageId(actorId, page));
      const first = page * DECISIONS_PER_PAGE;
      for (const entry of (doc?.entries ?? []).slice(Math.max(offset - first, 0), end - first)) {
        items.push({ ...entry, actorId });
      }
    }
    return { actorId, total, items };
  }
}

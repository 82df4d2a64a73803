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
  decisionOf,
} from '../../projections/decisions';
import { EVENT_STORE, type EventStore } from '../ports/event-store';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export class GetActorDecisionsQuery {
  constructor(
    readonly actorId: string,
    readonly limit: number,
    readonly offset: number,
  ) {}
}

/**
 * Everything one person decided, oldest first, a page of `limit` from `offset`: the decisions read
 * model names the events' positions, and the events themselves are read from the log.
 */
@QueryHandler(GetActorDecisionsQuery)
export class GetActorDecisionsHandler implements IQueryHandler<GetActorDecisionsQuery> {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {}

  async execute({ actorId, limit, offset }: GetActorDecisionsQuery) {
    const counted = await this.readStore.get<DecisionCountDoc>(DECISION_COUNTS, actorId);
    const total = counted?.count ?? 0;
    const end = Math.min(offset + limit, total);
    const positions: number[] = [];
    for (let page = Math.floor(offset / DECISIONS_PER_PAGE); page * DECISIONS_PER_PAGE < end; page++) {
      const doc = await this.readStore.get<DecisionPageDoc>(DECISIONS, decisionPageId(actorId, page));
      const first = page * DECISIONS_PER_PAGE;
      positions.push(...(doc?.positions ?? []).slice(Math.max(offset - first, 0), end - first));
    }
    // Who decided what and when: nobody's personal data is opened for it.
    const events = await this.eventStore.readAt(positions, { sealed: true });
    if (events.length !== positions.length) {
      // The read model names only positions the log answered: a gap means the log lost events.
      throw new Error(
        `${positions.length - events.length} of ${actorId}'s decisions are missing from the log`,
      );
    }
    const items: DecisionDoc[] = events.map(decisionOf);
    return { actorId, total, items };
  }
}

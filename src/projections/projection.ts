import type { StoredEvent } from '../application/ports/event-store';
import type { CollectionSpec, ReadDocument } from '../application/ports/read-store';
import type { DomainEvent } from '../domain/decider';

/** A domain event as the store gave it back: type and data plus the envelope. */
export type Recorded<E extends DomainEvent> = E & Omit<StoredEvent, 'type' | 'data'>;

/** Reads see the writes of earlier events in the same batch. */
export interface ProjectionContext {
  get<T extends ReadDocument>(collection: string, id: string): Promise<T | null>;
  put(collection: string, id: string, doc: ReadDocument): void;
  delete(collection: string, id: string): void;
}

export interface Projection {
  readonly name: string;
  readonly collections: readonly CollectionSpec[];
  /** Event types this projection reacts to; others are not shown to it. */
  readonly eventTypes: ReadonlySet<string>;
  apply(event: StoredEvent, context: ProjectionContext): Promise<void>;
}

/**
 * The common case: each event touches at most one document of one collection, found by `idOf`,
 * and a pure `evolve(doc | null, event) → doc | null` decides its new content (null deletes it).
 */
export function documentProjection<D extends ReadDocument>(spec: {
  name: string;
  collection: CollectionSpec;
  eventTypes: readonly string[];
  idOf(event: StoredEvent): string | null;
  evolve(doc: D | null, event: StoredEvent): D | null;
}): Projection {
  const collection = spec.collection.name;
  return {
    name: spec.name,
    collections: [spec.collection],
    eventTypes: new Set(spec.eventTypes),
    async apply(event, context) {
      const id = spec.idOf(event);
      if (id === null) return;
      const before = await context.get<D>(collection, id);
      const after = spec.evolve(before, event);
      if (after === before) return;
      if (after === null) context.delete(collection, id);
      else context.put(collection, id, after);
    },
  };
}

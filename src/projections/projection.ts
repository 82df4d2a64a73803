import type { StoredEvent } from '../application/ports/event-store';
import type { CollectionSpec, ReadDocument } from '../application/ports/read-store';
import type { DomainEvent } from '../domain/decider';

/** A domain event as the store gave it back: type and data plus the envelope. */
export type Recorded<E extends DomainEvent> = E & Omit<StoredEvent, 'type' | 'data'>;

/** Reads see the writes of earlier events in the same batch. */
export interface ProjectionContext {
  get<T extends ReadDocument>(collection: string, id: string): Promise<T | null>;
  /**
   * The document when it is known without reading the store (written in this batch, remembered from
   * an earlier one, or known not to exist: null); undefined when only `get` can tell.
   */
  known<T extends ReadDocument>(collection: string, id: string): T | null | undefined;
  put(collection: string, id: string, doc: ReadDocument): void;
  delete(collection: string, id: string): void;
}

export interface Projection {
  readonly name: string;
  readonly collections: readonly CollectionSpec[];
  /** Event types this projection reacts to; others are not shown to it. */
  readonly eventTypes: ReadonlySet<string>;
  /**
   * Applies the event; a promise when it had to wait (for the store). Answering at once when every
   * document it needs is `known` spares the promise and the turn of the microtask queue that an async
   * function costs each event (~0.13 µs, for each projection of each event of a rebuild).
   */
  apply(event: StoredEvent, context: ProjectionContext): Promise<void> | void;
}

/**
 * Calls `then` with the document (null: none): at once when the context knows it, otherwise once the
 * store has answered. `then` may itself answer a promise, which is then waited for.
 */
export function withDocument<T extends ReadDocument, R>(
  context: ProjectionContext,
  collection: string,
  id: string,
  then: (doc: T | null) => R | Promise<R>,
): R | Promise<R> {
  const known = context.known<T>(collection, id);
  return known !== undefined ? then(known) : context.get<T>(collection, id).then(then);
}

/**
 * Several documents' updates, each maybe waiting for the store (`withDocument`): done at once when
 * none waits, otherwise a promise of them all.
 */
export function allDone(updates: readonly (Promise<void> | void)[]): Promise<void> | void {
  let waiting: Promise<void>[] | undefined;
  for (const update of updates) if (update !== undefined) (waiting ??= []).push(update);
  if (waiting) return Promise.all(waiting).then(() => undefined);
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
  const update = (context: ProjectionContext, id: string, before: D | null, event: StoredEvent): void => {
    const after = spec.evolve(before, event);
    if (after === before) return;
    if (after === null) context.delete(collection, id);
    else context.put(collection, id, after);
  };
  return {
    name: spec.name,
    collections: [spec.collection],
    eventTypes: new Set(spec.eventTypes),
    apply(event, context) {
      const id = spec.idOf(event);
      if (id === null) return;
      // Not `withDocument`: its callback would be a closure made for every event (~90 MB of a
      // rebuild's first thread's allocations), where the document is nearly always known.
      const known = context.known<D>(collection, id);
      if (known !== undefined) return update(context, id, known, event);
      return context.get<D>(collection, id).then((before) => update(context, id, before, event));
    },
  };
}

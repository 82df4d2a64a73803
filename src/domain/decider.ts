import type { Actor } from './actor';
import type { DomainError } from './errors';

/** Time and identity come in with the command: deciders have no clock and no I/O. */
export interface CommandMetadata {
  readonly actor: Actor;
  /** ISO-8601 instant at which the command is decided. */
  readonly now: string;
}

export interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: CommandMetadata;
}

/**
 * The command a change (its type and data) makes, decided under `metadata`. Field by field, not as
 * `{ ...change, metadata }`: in Node 20's V8 a field added after a spread gives every such object a
 * hidden class of its own, ~2 µs each (docs/performance.md, item 67).
 */
export function withMetadata<C extends Command<string, unknown>>(
  change: Pick<C, 'type' | 'data'>,
  metadata: CommandMetadata,
): C {
  return { type: change.type, data: change.data, metadata } as C;
}

export interface DomainEvent<Type extends string = string, Data = Readonly<Record<string, unknown>>> {
  readonly type: Type;
  readonly data: Data;
}

/** Either the events that record the decision, or why it was refused. */
export type Decision<E> = readonly E[] | DomainError;

export interface Decider<C, E, S> {
  readonly initialState: S;
  decide(command: C, state: S): Decision<E>;
  evolve(state: S, event: E): S;
  /**
   * True for a state that no event can follow (a registered agency, a claimed key): a stream that
   * has reached it never changes again, so what was read of it stays true.
   */
  isFinal?(state: S): boolean;
}

export function fold<E, S>(
  decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>,
  events: readonly E[],
): S {
  return events.reduce(decider.evolve, decider.initialState);
}

/** Compile-time proof that a switch handled every case. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

import type { Decider, Decision } from '../../src/domain/decider';
import { DomainError, type DomainErrorKind } from '../../src/domain/errors';

/**
 * Given/when/then for deciders, in the spirit of emmett's `DeciderSpecification`:
 *
 *   DeciderSpecification.for(decider).given([...events]).when(command).then([...expectedEvents]);
 *
 * `given` is folded with `evolve` from `initialState`; `when` runs `decide` once. The given events, the
 * state and the command are deep-frozen first, so a decider that mutates its inputs fails loudly.
 */

/** The last step: what the decision must be. */
export interface ThenStep<E, S> {
  /** Asserts the decision is exactly these events (strict: an `undefined` property is not "absent"). */
  then(expected: readonly E[]): S;
  /** Asserts the decision is no events at all. */
  thenNothingHappens(): S;
  /** Asserts the decision is a refusal of this kind whose message contains (or matches) `messagePart`. */
  thenFails(kind: DomainErrorKind, messagePart?: string | RegExp): DomainError;
}

export interface WhenStep<C, E, S> {
  /** The state folded from the given events. */
  readonly state: S;
  when(command: C): ThenStep<E, S>;
}

export interface GivenStep<C, E, S> {
  given(events: readonly E[]): WhenStep<C, E, S>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function describeDecision<E>(decision: Decision<E>): string {
  if (decision instanceof DomainError) {
    const details = decision.details ? ` ${JSON.stringify(decision.details)}` : '';
    return `refusal ${decision.kind}: ${decision.message}${details}`;
  }
  return `events ${JSON.stringify(decision)}`;
}

class Then<C, E, S> implements ThenStep<E, S> {
  constructor(
    private readonly decider: Decider<C, E, S>,
    private readonly state: S,
    private readonly command: C,
  ) {}

  private decide(): Decision<E> {
    return this.decider.decide(deepFreeze(this.command), this.state);
  }

  then(expected: readonly E[]): S {
    const decision = this.decide();
    if (decision instanceof DomainError) {
      throw new Error(
        `expected ${JSON.stringify(expected)}, but the decision was a ${describeDecision(decision)}`,
      );
    }
    expect(decision).toStrictEqual(expected);
    return decision.reduce(this.decider.evolve, this.state);
  }

  thenNothingHappens(): S {
    return this.then([]);
  }

  thenFails(kind: DomainErrorKind, messagePart?: string | RegExp): DomainError {
    const decision = this.decide();
    if (!(decision instanceof DomainError)) {
      throw new Error(`expected a ${kind} refusal, but the decision was ${describeDecision(decision)}`);
    }
    expect({ kind: decision.kind, message: decision.message }).toEqual({
      kind,
      message: messagePart === undefined ? expect.any(String) : toMatcher(messagePart),
    });
    return decision;
  }
}

function toMatcher(part: string | RegExp): unknown {
  return typeof part === 'string' ? expect.stringContaining(part) : expect.stringMatching(part);
}

export const DeciderSpecification = {
  for<C, E, S>(decider: Decider<C, E, S>): GivenStep<C, E, S> {
    return {
      given(events: readonly E[]): WhenStep<C, E, S> {
        const state = deepFreeze(deepFreeze([...events]).reduce(decider.evolve, decider.initialState));
        return {
          state,
          when: (command: C) => new Then(decider, state, command),
        };
      },
    };
  },
};

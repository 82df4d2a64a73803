import type { Decider, Decision, DomainEvent } from './decider';
import { conflict } from './errors';

/**
 * A unique key (an ID number's HMAC, a credit code, a certificate code) claimed by one owner.
 * Stored as its own stream appended with no_stream, so uniqueness holds without a unique index.
 */
export interface ClaimKey {
  readonly type: 'ClaimKey';
  readonly data: { ownerId: string; what: string };
}

export type KeyClaimed = DomainEvent<'KeyClaimed', { ownerId: string }>;

export type ReservationState = { status: 'free' } | { status: 'claimed'; ownerId: string };

export const reservationDecider: Decider<ClaimKey, KeyClaimed, ReservationState> = {
  initialState: { status: 'free' },

  decide(command: ClaimKey, state: ReservationState): Decision<KeyClaimed> {
    if (state.status === 'claimed') {
      if (state.ownerId === command.data.ownerId) return [];
      return conflict(`${command.data.what} is already registered as ${state.ownerId}`, {
        existingId: state.ownerId,
      });
    }
    return [{ type: 'KeyClaimed', data: { ownerId: command.data.ownerId } }];
  },

  // A key, once claimed, is never released.
  isFinal: (state: ReservationState) => state.status === 'claimed',

  evolve(_state: ReservationState, event: KeyClaimed): ReservationState {
    return { status: 'claimed', ownerId: event.data.ownerId };
  },
};

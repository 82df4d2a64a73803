import {
  reservationDecider,
  type ClaimKey,
  type KeyClaimed,
  type ReservationState,
} from '../domain/reservation';
import type { CommandStep } from './command-processor';

/**
 * The step that claims a unique key (an ID number's HMAC, a credit code, a certificate code) for
 * its owner, for CommandProcessor.executeTogether: the key's stream is expected new, and is stored
 * with the owner's own events or not at all. Placed first, so that a store appending one stream at a
 * time still claims the key before anything uses it.
 */
export function claimKey(
  streamId: string,
  ownerId: string,
  what: string,
): CommandStep<ClaimKey, KeyClaimed, ReservationState> {
  return {
    decider: reservationDecider,
    streamId,
    command: () => ({ type: 'ClaimKey', data: { ownerId, what } }),
    options: { expectNew: true },
  };
}

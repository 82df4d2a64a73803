import type { Actor } from '../actor';
import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import type { CreditCode } from '../agency/credit-code';
import type { DistrictCode } from '../agency/district';
import { conflict, forbidden, type DomainError } from '../errors';

export type RegisterTrainingProvider = Command<
  'RegisterTrainingProvider',
  { providerId: string; name: string; creditCode: CreditCode; district: DistrictCode }
>;
export type TrainingProviderCommand = RegisterTrainingProvider;

export type TrainingProviderRegistered = DomainEvent<
  'TrainingProviderRegistered',
  { providerId: string; name: string; creditCode: string; district: string }
>;
export type TrainingProviderEvent = TrainingProviderRegistered;

export type TrainingProviderState =
  | { status: 'unregistered' }
  | { status: 'registered'; providerId: string; name: string; creditCode: string; district: string };

export function refuseUnlessPlatformAdmin(actor: Actor): DomainError | null {
  return actor.role === 'platform_admin'
    ? null
    : forbidden('only a platform_admin may register training providers');
}

/** A training provider (培训主体): registered by the platform, it records sessions and exam scores. */
export const trainingProviderDecider: Decider<
  TrainingProviderCommand,
  TrainingProviderEvent,
  TrainingProviderState
> = {
  initialState: { status: 'unregistered' },

  decide(command: TrainingProviderCommand, state: TrainingProviderState): Decision<TrainingProviderEvent> {
    switch (command.type) {
      case 'RegisterTrainingProvider': {
        const refusal = refuseUnlessPlatformAdmin(command.metadata.actor);
        if (refusal) return refusal;
        if (state.status !== 'unregistered') {
          return conflict(`training provider ${command.data.providerId} is already registered`);
        }
        return [{ type: 'TrainingProviderRegistered', data: { ...command.data } }];
      }
      default:
        return assertNever(command.type);
    }
  },

  // Registration is a provider's only event.
  isFinal: (state: TrainingProviderState) => state.status === 'registered',

  evolve(_state: TrainingProviderState, event: TrainingProviderEvent): TrainingProviderState {
    switch (event.type) {
      case 'TrainingProviderRegistered':
        return { status: 'registered', ...event.data };
      default:
        return assertNever(event.type);
    }
  },
};

import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { conflict, forbidden } from '../errors';
import type { CreditCode } from './credit-code';
import type { DistrictCode } from './district';

export type RegisterAgency = Command<
  'RegisterAgency',
  { agencyId: string; name: string; creditCode: CreditCode; district: DistrictCode }
>;
export type AgencyCommand = RegisterAgency;

export type AgencyRegistered = DomainEvent<
  'AgencyRegistered',
  { agencyId: string; name: string; creditCode: string; district: string }
>;
export type AgencyEvent = AgencyRegistered;

export type AgencyState =
  | { status: 'unregistered' }
  | { status: 'registered'; agencyId: string; name: string; creditCode: string; district: string };

export const agencyDecider: Decider<AgencyCommand, AgencyEvent, AgencyState> = {
  initialState: { status: 'unregistered' },

  decide(command: AgencyCommand, state: AgencyState): Decision<AgencyEvent> {
    switch (command.type) {
      case 'RegisterAgency':
        if (command.metadata.actor.role !== 'platform_admin') {
          return forbidden('only a platform_admin may register agencies');
        }
        if (state.status !== 'unregistered') {
          return conflict(`agency ${command.data.agencyId} is already registered`);
        }
        return [{ type: 'AgencyRegistered', data: { ...command.data } }];
      default:
        return assertNever(command.type);
    }
  },

  // Registration is an agency's only event.
  isFinal: (state: AgencyState) => state.status === 'registered',

  evolve(_state: AgencyState, event: AgencyEvent): AgencyState {
    switch (event.type) {
      case 'AgencyRegistered':
        return { status: 'registered', ...event.data };
      default:
        return assertNever(event.type);
    }
  },
};

import { reservationDecider, type ClaimKey, type KeyClaimed } from '../../src/domain/reservation';
import { DeciderSpecification } from './decider-specification';

const spec = DeciderSpecification.for(reservationDecider);

function claim(ownerId: string, what = 'ID number of worker'): ClaimKey {
  return { type: 'ClaimKey', data: { ownerId, what } };
}

const claimedByWorker1: KeyClaimed = { type: 'KeyClaimed', data: { ownerId: 'worker-1' } };

describe('reservation decider', () => {
  it('given a free key, when claimed, then KeyClaimed records the owner', () => {
    const state = spec.given([]).when(claim('worker-1')).then([claimedByWorker1]);

    expect(state).toEqual({ status: 'claimed', ownerId: 'worker-1' });
  });

  it('given a key claimed by an owner, when the same owner claims it again, then nothing happens', () => {
    const state = spec.given([claimedByWorker1]).when(claim('worker-1')).thenNothingHappens();

    expect(state).toEqual({ status: 'claimed', ownerId: 'worker-1' });
  });

  it('given a key claimed by an owner, when another owner claims it, then it is a conflict with the existing id', () => {
    const error = spec
      .given([claimedByWorker1])
      .when(claim('worker-2', 'certificate code ABCDE12345X'))
      .thenFails('conflict', 'certificate code ABCDE12345X is already registered as worker-1');

    expect(error.details).toEqual({ existingId: 'worker-1' });
  });

  it('starts free', () => {
    expect(spec.given([]).state).toEqual({ status: 'free' });
  });
});

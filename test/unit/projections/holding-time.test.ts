import { HoldingTime } from '../../../src/projections/holding-time';

describe('HoldingTime: how long a rebuild holds a changing document', () => {
  it('holds for two rounds at first, and as long while few documents are written again', () => {
    const holding = new HoldingTime(10_000);
    expect(holding.rounds).toBe(2);
    holding.wrote(10_000, 0);
    holding.wrote(10_000, 2_000); // a fifth: not above it
    expect(holding.rounds).toBe(2);
  });

  it('does not judge by a round that wrote too few documents', () => {
    const holding = new HoldingTime(10_000);
    holding.wrote(99, 99);
    expect(holding.rounds).toBe(2);
  });

  it('holds twice as long after each round that wrote many documents again, up to sixteen rounds', () => {
    const holding = new HoldingTime(10_000);
    const seen: number[] = [];
    for (let round = 0; round < 6; round++) {
      holding.wrote(1_000, 600);
      seen.push(holding.rounds);
    }
    expect(seen).toEqual([4, 8, 16, 16, 16, 16]);
  });

  it('bounds the events held, not the rounds: thirty-two rounds of 5,000, five of 30,000', () => {
    const bound = (roundEvents: number) => {
      const holding = new HoldingTime(roundEvents);
      for (let round = 0; round < 10; round++) holding.wrote(1_000, 600);
      return holding.rounds;
    };
    expect(bound(5_000)).toBe(32);
    expect(bound(30_000)).toBe(5);
    // Never below where it starts.
    expect(bound(1_000_000)).toBe(2);
  });

  it('never shortens again: fewer documents come back because they are held longer', () => {
    const holding = new HoldingTime(10_000);
    holding.wrote(1_000, 1_000);
    holding.wrote(1_000, 0);
    expect(holding.rounds).toBe(4);
  });
});

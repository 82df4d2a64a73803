import {
  parseClassHours,
  parseExamScore,
  parseHoursDone,
} from '../../../src/domain/training/training-values';
import { DomainError } from '../../../src/domain/errors';

function refusal(parse: () => unknown): DomainError {
  try {
    parse();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('training values', () => {
  it.each([0.5, 1, 3, 4.5, 40])('accepts %s class hours', (hours) => {
    expect(parseClassHours(hours)).toBe(hours);
  });

  it.each<[unknown, string]>([
    [undefined, 'classHours is required'],
    ['3', 'classHours must be a number'],
    [Number.NaN, 'classHours must be a number'],
    [0, 'classHours must be more than 0 and at most 40'],
    [-1, 'classHours must be more than 0 and at most 40'],
    [40.5, 'classHours must be more than 0 and at most 40'],
    [1.25, 'classHours must be whole or half hours (e.g. 1.5)'],
  ])('refuses class hours %p: %s', (raw, message) => {
    const error = refusal(() => parseClassHours(raw));
    expect(error).toMatchObject({ kind: 'invalid', field: 'classHours', message });
  });

  it('accepts hours done from 0 in half hours and refuses the rest naming hoursDone', () => {
    expect(parseHoursDone(0)).toBe(0);
    expect(parseHoursDone(2.5)).toBe(2.5);
    expect(refusal(() => parseHoursDone(-0.5))).toMatchObject({
      field: 'hoursDone',
      message: expect.stringContaining('negative'),
    });
    expect(refusal(() => parseHoursDone(0.3))).toMatchObject({ field: 'hoursDone' });
  });

  it('accepts whole exam scores from 0 to 100 and refuses others naming the field', () => {
    expect(parseExamScore(0)).toBe(0);
    expect(parseExamScore(100)).toBe(100);
    for (const raw of [-1, 101, 59.5, '60', null]) {
      expect(refusal(() => parseExamScore(raw, 'scores.0.score'))).toMatchObject({
        kind: 'invalid',
        field: 'scores.0.score',
      });
    }
  });
});

import { DomainError } from '../../../src/domain/errors';
import { maskPhone, parsePhone } from '../../../src/domain/worker/phone';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, field = 'phone'): DomainError {
  const error = refusal(() => (field === 'phone' ? parsePhone(raw) : parsePhone(raw, field)));
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

describe('parsePhone', () => {
  describe('given a plain 11-digit mainland mobile number', () => {
    it.each([['13812345678'], ['15900000000'], ['19912345678'], ['16612345678'], ['17012345678']])(
      'when %s is parsed, then it is returned as is',
      (raw) => {
        expect(parsePhone(raw)).toBe(raw);
      },
    );
  });

  describe('given a number written with separators or a country code', () => {
    it.each([
      ['  13812345678  '],
      ['138 1234 5678'],
      ['138-1234-5678'],
      ['+86 138 1234 5678'],
      ['+86-13812345678'],
      ['+8613812345678'],
      ['0086 13812345678'],
      ['008613812345678'],
      ['8613812345678'],
      ['86 138-1234-5678'],
      ['138\u30001234\u30005678'],
    ])('when %p is parsed, then only the 11 digits are kept', (raw) => {
      expect(parsePhone(raw)).toBe('13812345678');
    });
  });

  describe('given numbers that are not mainland mobiles', () => {
    it.each([
      ['12812345678', /starting with 13–19/],
      ['10812345678', /starting with 13–19/],
      ['23812345678', /starting with 13–19/],
      ['02112345678', /starting with 13–19/],
    ])('when %p is parsed, then it is refused with %p', (raw, problem) => {
      expectRefused(raw, problem);
    });

    it('when the number has a foreign country code, then it is refused naming +86', () => {
      expectRefused('+1 415 555 0100', /country code \+86/);
      expectRefused('+85291234567', /country code \+86/);
    });

    it('when a landline is given, then it is refused', () => {
      expectRefused('021-6432-1234', /starting with 13–19/);
      expectRefused('(021)64321234', /only digits/);
    });
  });

  describe('given the wrong number of digits', () => {
    it.each([
      ['1381234567', /must have 11 digits \(got 10\)/],
      ['138123456789', /must have 11 digits \(got 12\)/],
      ['+86 1381234567', /must have 11 digits \(got 10\)/],
      ['861381234567', /must have 11 digits \(got 12\)/],
    ])('when %p is parsed, then it is refused with %p', (raw, problem) => {
      expectRefused(raw, problem);
    });
  });

  describe('given other characters', () => {
    it.each([['138.1234.5678'], ['138123456a8'], ['１３８１２３４５６７８'], ['138/12345678']])(
      'when %p is parsed, then it is refused as containing bad characters',
      (raw) => {
        expectRefused(raw, /only digits, spaces, hyphens and an optional \+86 prefix/);
      },
    );
  });

  describe('given missing or non-string input', () => {
    it.each([[''], [' - '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[13812345678], [{}], [['13812345678']]])('when given %p, then it must be a string', (raw) => {
      expectRefused(raw, /must be a string/);
    });
  });

  describe('given a custom field name', () => {
    it('when the number is refused, then the error names that field', () => {
      const error = expectRefused('123', /11 digits/, 'emergencyContact.phone');
      expect(error.message).toBe('emergencyContact.phone must have 11 digits (got 3)');
    });
  });
});

describe('maskPhone', () => {
  describe('given a parsed number', () => {
    it('when masked, then only the first 3 and last 4 digits show', () => {
      expect(maskPhone(parsePhone('+86 138-1234-5678'))).toBe('138****5678');
    });
  });
});

import { DomainError } from '../../../src/domain/errors';
import { composeCreditCode, parseCreditCode } from '../../../src/domain/agency/credit-code';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, field = 'creditCode'): DomainError {
  const error = refusal(() => (field === 'creditCode' ? parseCreditCode(raw) : parseCreditCode(raw, field)));
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

describe('parseCreditCode', () => {
  describe('given real published codes', () => {
    it.each([
      ['914403001922038216'], // 华为技术有限公司
      ['9144030071526726XG'], // 腾讯科技（深圳）有限公司
      ['91350100M000100Y43'], // the worked example in GB 32100-2015
    ])('when %s is parsed, then it is accepted', (code) => {
      expect(parseCreditCode(code)).toBe(code);
    });
  });

  describe('given a composed code', () => {
    const valid = composeCreditCode('91310115MA1K4ABCD');

    it('when parsed, then it is accepted', () => {
      expect(parseCreditCode(valid)).toBe(valid);
    });

    it('when typed in lower case with surrounding spaces, then it is stored trimmed and upper-case', () => {
      expect(parseCreditCode(`  ${valid.toLowerCase()}\t`)).toBe(valid);
    });

    it('when any single character is replaced by any other character of the alphabet, then it is refused', () => {
      let refused = 0;
      for (let i = 0; i < 18; i++) {
        for (const c of ALPHABET) {
          if (c === valid[i]) continue;
          const typo = valid.slice(0, i) + c + valid.slice(i + 1);
          expect(() => parseCreditCode(typo)).toThrow(DomainError);
          refused++;
        }
      }
      expect(refused).toBe(18 * 30);
    });

    it('when any two adjacent different characters are swapped, then it is refused', () => {
      for (let i = 0; i < 17; i++) {
        if (valid[i] === valid[i + 1]) continue;
        const swapped = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
        expect(() => parseCreditCode(swapped)).toThrow(DomainError);
      }
    });

    it('when only the check character is wrong, then it is refused as probably mistyped', () => {
      const wrong = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
      expectRefused(wrong, /check character.*probably mistyped/);
    });
  });

  describe('given characters outside the alphabet', () => {
    it.each([['I'], ['O'], ['Z'], ['S'], ['V'], ['-'], ['中']])(
      'when the code contains %s, then it is refused naming the allowed characters',
      (bad) => {
        const code = '91350100M000100Y4' + bad;
        expectRefused(code, /only digits and the letters A–Z except I, O, S, V and Z/);
      },
    );
  });

  describe('given letters in the region positions 3–8', () => {
    it('when parsed, then it is refused as a bad region code', () => {
      expectRefused('91A50100M000100Y43', /positions 3–8/);
      expectRefused('9135010AM000100Y43', /positions 3–8/);
    });
  });

  describe('given malformed input', () => {
    it.each([
      ['91350100M000100Y4', /must be 18 characters \(got 17\)/],
      ['91350100M000100Y433', /must be 18 characters \(got 19\)/],
      ['9135 0100M000100Y43', /must be 18 characters \(got 19\)/],
    ])('when given %p, then it is refused with %p', (raw, problem) => {
      expectRefused(raw, problem);
    });

    it.each([[''], ['  '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[913501001], [{}], [false]])('when given the non-string %p, then it is refused', (raw) => {
      expectRefused(raw, /must be a string/);
    });
  });

  describe('given a custom field name', () => {
    it('when the code is refused, then the error names that field', () => {
      const error = expectRefused('X', /18 characters/, 'agency.creditCode');
      expect(error.message).toBe('agency.creditCode must be 18 characters (got 1)');
    });
  });
});

describe('composeCreditCode', () => {
  describe('given the first 17 characters of a real code', () => {
    it('when composed, then the published check character is reproduced', () => {
      expect(composeCreditCode('9144030071526726X')).toBe('9144030071526726XG');
      expect(composeCreditCode('91440300192203821')).toBe('914403001922038216');
    });
  });

  describe('given malformed input', () => {
    it.each([
      ['9135010'],
      ['91350100M000100Y4X'],
      ['91A50100M000100Y4'],
      ['91350100m000100Y4'],
      ['91350100O000100Y4'],
    ])('when composed from %p, then a plain programming error is thrown', (first17) => {
      expect(() => composeCreditCode(first17)).toThrow(Error);
      expect(() => composeCreditCode(first17)).not.toThrow(DomainError);
    });
  });
});

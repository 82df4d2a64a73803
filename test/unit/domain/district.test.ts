import { DomainError } from '../../../src/domain/errors';
import {
  districtName,
  parseDistrict,
  SHANGHAI_DISTRICTS,
  type DistrictCode,
} from '../../../src/domain/agency/district';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, field = 'district'): DomainError {
  const error = refusal(() => (field === 'district' ? parseDistrict(raw) : parseDistrict(raw, field)));
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

describe('SHANGHAI_DISTRICTS', () => {
  describe('given the list of districts', () => {
    it('when read, then it holds the 16 districts with unique codes and names', () => {
      expect(SHANGHAI_DISTRICTS).toHaveLength(16);
      expect(new Set(SHANGHAI_DISTRICTS.map((d) => d.code)).size).toBe(16);
      expect(new Set(SHANGHAI_DISTRICTS.map((d) => d.name)).size).toBe(16);
      expect(SHANGHAI_DISTRICTS.every((d) => /^3101\d{2}$/.test(d.code))).toBe(true);
      expect(SHANGHAI_DISTRICTS).toContainEqual({ code: '310115', name: '浦东新区' });
      expect(SHANGHAI_DISTRICTS).toContainEqual({ code: '310151', name: '崇明区' });
    });

    it('when someone tries to modify it, then it cannot be changed', () => {
      expect(Object.isFrozen(SHANGHAI_DISTRICTS)).toBe(true);
      expect(Object.isFrozen(SHANGHAI_DISTRICTS[0])).toBe(true);
    });
  });
});

describe('parseDistrict', () => {
  describe('given each of the 16 district codes', () => {
    it.each(SHANGHAI_DISTRICTS.map((d) => [d.code, d.name]))(
      'when %s is parsed, then it is accepted and named %s',
      (code, name) => {
        const parsed = parseDistrict(code);
        expect(parsed).toBe(code);
        expect(districtName(parsed)).toBe(name);
      },
    );
  });

  describe('given a code with surrounding spaces', () => {
    it('when parsed, then it is trimmed', () => {
      expect(parseDistrict(' 310101 ')).toBe('310101');
    });
  });

  describe('given codes that are not current Shanghai districts', () => {
    it.each([['310103'], ['310108'], ['310230'], ['310100'], ['110101'], ['黄浦区'], ['31010'], ['3101011']])(
      'when %p is parsed, then it is refused listing the 16 district codes',
      (raw) => {
        const error = expectRefused(raw, /must be one of Shanghai's 16 district codes/);
        for (const d of SHANGHAI_DISTRICTS) expect(error.message).toContain(d.code);
      },
    );
  });

  describe('given a number instead of a string', () => {
    it('when parsed, then it is refused saying it must be a string code', () => {
      expectRefused(310101, /must be a string district code/);
    });
  });

  describe('given missing or other non-string input', () => {
    it.each([[''], ['  '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[{}], [['310101']], [true]])('when given %p, then it must be a string', (raw) => {
      expectRefused(raw, /must be a string/);
    });
  });

  describe('given a custom field name', () => {
    it('when the code is refused, then the error names that field', () => {
      const error = expectRefused('999999', /16 district codes/, 'serviceArea');
      expect(error.message.startsWith("serviceArea must be one of Shanghai's 16 district codes")).toBe(true);
    });
  });
});

describe('districtName', () => {
  describe('given a code that did not come from parseDistrict', () => {
    it('when named, then a plain programming error is thrown', () => {
      expect(() => districtName('999999' as DistrictCode)).toThrow(Error);
    });
  });
});

import { DomainError } from '../../../src/domain/errors';
import {
  birthDateOf,
  composeResidentId,
  parseResidentId,
  type ResidentId,
} from '../../../src/domain/worker/resident-id';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, options: Parameters<typeof parseResidentId>[1] = {}) {
  const field = options.field ?? 'idNumber';
  const error = refusal(() => parseResidentId(raw, options));
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

/** Replaces the check character with a different, wrong one. */
function withWrongCheck(id: string): string {
  const wrong = id[17] === '0' ? '1' : '0';
  return id.slice(0, 17) + wrong;
}

describe('parseResidentId', () => {
  describe('given the standard sample number 11010519491231002X', () => {
    it('when parsed, then it is accepted unchanged', () => {
      expect(parseResidentId('11010519491231002X')).toBe('11010519491231002X');
    });

    it('when typed with a lower-case x and surrounding spaces, then it is stored trimmed and upper-case', () => {
      expect(parseResidentId('  11010519491231002x \n')).toBe('11010519491231002X');
    });

    it('when its birth date is read, then it is 1949-12-31', () => {
      expect(birthDateOf(parseResidentId('11010519491231002X'))).toBe('1949-12-31');
    });
  });

  describe('given other real-format numbers', () => {
    it.each([
      [composeLike('440305', '19800101', '001')],
      [composeLike('310101', '19900307', '453')],
      [composeLike('650102', '20000229', '001')],
    ])('when %s is parsed, then it is accepted', (id) => {
      expect(parseResidentId(id)).toBe(id);
    });
  });

  describe('given a valid number with a wrong check character', () => {
    it('when parsed, then it is refused as probably mistyped', () => {
      expectRefused(withWrongCheck('11010519491231002X'), /check character.*probably mistyped/);
      expectRefused('110105194912310021', /probably mistyped/);
    });

    it('when any single digit of the first 17 is changed, then it is refused', () => {
      const valid = composeResidentId('310101', '19900307', '453');
      for (let i = 0; i < 17; i++) {
        for (const d of '0123456789') {
          if (d === valid[i]) continue;
          const typo = valid.slice(0, i) + d + valid.slice(i + 1);
          expect(() => parseResidentId(typo)).toThrow(DomainError);
        }
      }
    });
  });

  describe('given impossible birth dates', () => {
    it('when the date is 1999-02-30, then it is refused as an impossible date', () => {
      expectRefused(composeLike('310101', '19990230', '123'), /impossible birth date/);
    });

    it('when the date is 1900-02-29 (1900 is not a leap year), then it is refused', () => {
      expectRefused(composeLike('310101', '19000229', '123'), /impossible birth date/);
    });

    it('when the date is 2000-02-29 (2000 is a leap year), then it is accepted', () => {
      const id = composeResidentId('310101', '20000229', '123');
      expect(parseResidentId(id)).toBe(id);
      expect(birthDateOf(id)).toBe('2000-02-29');
    });

    it.each([['19991301'], ['19990001'], ['19990100'], ['19990431'], ['20230229']])(
      'when the date is %s, then it is refused',
      (date) => {
        expectRefused(composeLike('310101', date, '123'), /impossible birth date/);
      },
    );

    it('when the date is before 1900-01-01, then it is refused', () => {
      expectRefused(composeLike('310101', '18991231', '123'), /before 1900-01-01/);
      expect(parseResidentId(composeResidentId('310101', '19000101', '123'))).toBeTruthy();
    });
  });

  describe('given today is 2024-06-15', () => {
    const today = '2024-06-15';

    it('when the birth date is tomorrow, then it is refused as in the future', () => {
      expectRefused(composeLike('310101', '20240616', '123'), /in the future/, { today });
    });

    it('when the birth date is today, then it is accepted', () => {
      const id = composeResidentId('310101', '20240615', '123');
      expect(parseResidentId(id, { today })).toBe(id);
    });

    it('when no today is given, then a future birth date is not checked', () => {
      const id = composeResidentId('310101', '20990101', '123');
      expect(parseResidentId(id)).toBe(id);
    });

    it('when today itself is malformed, then a plain programming error is thrown', () => {
      expect(() => parseResidentId('11010519491231002X', { today: '2024-02-30' })).toThrow(Error);
      expect(() => parseResidentId('11010519491231002X', { today: '20240615' })).not.toThrow(DomainError);
      expect(() => parseResidentId('11010519491231002X', { today: '20240615' })).toThrow(/today/);
    });
  });

  describe('given an unknown province code', () => {
    it.each([['00'], ['10'], ['20'], ['39'], ['66'], ['72'], ['83'], ['99']])(
      'when the number starts with %s, then it is refused',
      (province) => {
        expectRefused(composeLike(`${province}0101`, '19900101', '123'), /province code/);
      },
    );

    it('when the number starts with a Hong Kong (81) or Taiwan (71) code, then it is accepted', () => {
      expect(parseResidentId(composeResidentId('810000', '19900101', '123'))).toBeTruthy();
      expect(parseResidentId(composeResidentId('710000', '19900101', '123'))).toBeTruthy();
    });
  });

  describe('given malformed input', () => {
    it.each([
      ['11010519491231002', /must be 18 characters \(got 17\)/],
      ['11010519491231002X1', /must be 18 characters \(got 19\)/],
      ['110105491231002', /15-digit first-generation/],
      ['1101051949123100XX', /17 digits followed by a digit or X/],
      ['11010519491231002Y', /17 digits followed by a digit or X/],
      ['1101051949-231002X', /17 digits followed by a digit or X/],
      ['１１０１０５１９４９１２３１００２Ｘ', /17 digits followed by a digit or X/],
    ])('when given %p, then it is refused with %p', (raw, problem) => {
      expectRefused(raw, problem);
    });

    it.each([[''], ['   '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[11010519491231002], [{}], [['11010519491231002X']], [true]])(
      'when given the non-string %p, then it is refused as not a string',
      (raw) => {
        expectRefused(raw, /must be a string/);
      },
    );
  });

  describe('given a custom field name', () => {
    it('when the number is refused, then the error names that field', () => {
      const error = expectRefused('123', /18 characters/, { field: 'guardian.idNumber' });
      expect(error.message).toBe('guardian.idNumber must be 18 characters (got 3)');
    });
  });
});

describe('composeResidentId', () => {
  describe('given valid parts', () => {
    it('when composed, then the standard sample is reproduced', () => {
      expect(composeResidentId('110105', '19491231', '002')).toBe('11010519491231002X');
    });

    it('when composed for many sequences, then every result parses and keeps its birth date', () => {
      for (let seq = 0; seq < 1000; seq += 7) {
        const id: ResidentId = composeResidentId('310115', '19851102', String(seq).padStart(3, '0'));
        expect(parseResidentId(id)).toBe(id);
        expect(birthDateOf(id)).toBe('1985-11-02');
      }
    });
  });

  describe('given malformed parts', () => {
    it.each([
      ['31011', '19900101', '123'],
      ['310101', '1990011', '123'],
      ['310101', '19900101', '12'],
      ['310101', '19900230', '123'],
      ['990101', '19900101', '123'],
    ])('when composed from (%s, %s, %s), then a plain programming error is thrown', (r, b, s) => {
      expect(() => composeResidentId(r, b, s)).toThrow(Error);
      expect(() => composeResidentId(r, b, s)).not.toThrow(DomainError);
    });
  });
});

/** Like composeResidentId, but without validating, so impossible numbers can be built with a right check char. */
function composeLike(region6: string, birth: string, sequence3: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const first17 = region6 + birth + sequence3;
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

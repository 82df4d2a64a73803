import fc from 'fast-check';
import { DomainError } from '../../../src/domain/errors';
import {
  CERTIFICATE_CODE_ALPHABET,
  createCertificateCode,
  formatCertificateCode,
  parseCertificateCode,
} from '../../../src/domain/certificate/certificate-code';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, field = 'code'): DomainError {
  const error = refusal(() =>
    field === 'code' ? parseCertificateCode(raw) : parseCertificateCode(raw, field),
  );
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

const MISTYPED = /mistyped.*check character does not match/;
const bodyArbitrary = fc
  .array(fc.constantFrom(...CERTIFICATE_CODE_ALPHABET), { minLength: 10, maxLength: 10 })
  .map((chars) => chars.join(''));

describe('CERTIFICATE_CODE_ALPHABET', () => {
  describe('given the alphabet', () => {
    it('when read, then it has 31 distinct characters without I, O, S, V or Z', () => {
      expect(CERTIFICATE_CODE_ALPHABET).toBe('0123456789ABCDEFGHJKLMNPQRTUWXY');
      expect(new Set(CERTIFICATE_CODE_ALPHABET).size).toBe(31);
      expect(CERTIFICATE_CODE_ALPHABET).not.toMatch(/[IOSVZ]/);
    });
  });
});

describe('createCertificateCode', () => {
  describe('given a 10-character body', () => {
    it('when created, then the body is kept and one alphabet check character is appended', () => {
      const code = createCertificateCode('ABCDEFGHJK');
      expect(code).toHaveLength(11);
      expect(code.slice(0, 10)).toBe('ABCDEFGHJK');
      expect(CERTIFICATE_CODE_ALPHABET).toContain(code[10]);
    });

    it('when created, then it is deterministic and the check character is what the weighted sum requires', () => {
      // Weights 25,29,20,17,16,26,19,27,9,3 (3^(10-i) mod 31) and 1 for the check character; sum ≡ 0 mod 31.
      expect(createCertificateCode('0000000000')).toBe('00000000000');
      expect(createCertificateCode('0000000001')).toBe('0000000001W'); // 1·3 + 28 (W) = 31
      expect(createCertificateCode('1000000000')).toBe('10000000006'); // 1·25 + 6 (6) = 31
      expect(createCertificateCode('ABCDEFGHJK')).toBe(createCertificateCode('ABCDEFGHJK'));
    });

    it('when created from any body, then the result parses back to itself', () => {
      fc.assert(
        fc.property(bodyArbitrary, (body) => {
          const code = createCertificateCode(body);
          expect(parseCertificateCode(code)).toBe(code);
          expect(parseCertificateCode(formatCertificateCode(code))).toBe(code);
        }),
      );
    });
  });

  describe('given a body that is not 10 alphabet characters', () => {
    it.each([['ABCDEFGHJ'], ['ABCDEFGHJKL'], ['abcdefghjk'], ['ABCDEFGHJI'], ['ABCDE-GHJK'], ['']])(
      'when created from %p, then a plain programming error is thrown',
      (body) => {
        expect(() => createCertificateCode(body)).toThrow(Error);
        expect(() => createCertificateCode(body)).not.toThrow(DomainError);
      },
    );
  });
});

describe('parseCertificateCode', () => {
  const valid = createCertificateCode('7KQ3MW9PRT');

  describe('given a valid code', () => {
    it('when parsed, then it is accepted', () => {
      expect(parseCertificateCode(valid)).toBe(valid);
    });

    it('when typed in lower case, grouped with hyphens or spaces, then it is normalised', () => {
      expect(parseCertificateCode(valid.toLowerCase())).toBe(valid);
      expect(parseCertificateCode(formatCertificateCode(valid))).toBe(valid);
      expect(parseCertificateCode(` ${valid.slice(0, 4)} ${valid.slice(4, 8)} ${valid.slice(8)} `)).toBe(
        valid,
      );
    });
  });

  describe('given every single-character mistype of a valid code', () => {
    it('when parsed, then each one is refused as mistyped', () => {
      let refused = 0;
      for (let i = 0; i < 11; i++) {
        for (const c of CERTIFICATE_CODE_ALPHABET) {
          if (c === valid[i]) continue;
          expectRefused(valid.slice(0, i) + c + valid.slice(i + 1), MISTYPED);
          refused++;
        }
      }
      expect(refused).toBe(11 * 30);
    });

    it('when parsed for any code, then every substitution is refused', () => {
      fc.assert(
        fc.property(
          bodyArbitrary,
          fc.nat(10),
          fc.constantFrom(...CERTIFICATE_CODE_ALPHABET),
          (body, position, replacement) => {
            const code = createCertificateCode(body);
            fc.pre(code[position] !== replacement);
            const typo = code.slice(0, position) + replacement + code.slice(position + 1);
            expect(() => parseCertificateCode(typo)).toThrow(MISTYPED);
          },
        ),
      );
    });
  });

  describe('given two swapped characters', () => {
    it('when any two different adjacent characters are swapped, then it is refused as mistyped', () => {
      fc.assert(
        fc.property(bodyArbitrary, fc.nat(9), (body, i) => {
          const code = createCertificateCode(body);
          fc.pre(code[i] !== code[i + 1]);
          const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
          expect(() => parseCertificateCode(swapped)).toThrow(MISTYPED);
        }),
      );
    });

    it('when any two different characters of a known code are swapped, then it is refused as mistyped', () => {
      for (let i = 0; i < 11; i++) {
        for (let j = i + 1; j < 11; j++) {
          if (valid[i] === valid[j]) continue;
          const chars = [...valid];
          [chars[i], chars[j]] = [chars[j], chars[i]];
          expectRefused(chars.join(''), MISTYPED);
        }
      }
    });
  });

  describe('given format errors', () => {
    it.each([
      ['ABCDEFGHJK', /must be 11 characters \(got 10\)/],
      ['ABCDEFGHJKMN', /must be 11 characters \(got 12\)/],
      ['ABCDEFGHJKO', /only digits and the letters A–Z except I, O, S, V and Z/],
      ['ABCDEFGHIK1', /only digits and the letters A–Z except I, O, S, V and Z/],
      ['ABCDE_FGHJK', /only digits and the letters A–Z except I, O, S, V and Z/],
      ['ABCDEFGHJK中', /only digits and the letters A–Z except I, O, S, V and Z/],
    ])('when given %p, then it is refused as a format error, not as mistyped', (raw, problem) => {
      const error = expectRefused(raw, problem);
      expect(error.message).not.toMatch(/mistyped/);
    });

    it.each([[''], [' - '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[12345678901], [{}], [[valid]]])('when given %p, then it must be a string', (raw) => {
      expectRefused(raw, /must be a string/);
    });
  });

  describe('given a custom field name', () => {
    it('when the code is refused, then the error names that field', () => {
      const wrongCheck = valid.slice(0, 10) + (valid[10] === '0' ? '1' : '0');
      const error = expectRefused(wrongCheck, MISTYPED, 'certificateCode');
      expect(error.message.startsWith('certificateCode is mistyped')).toBe(true);
    });
  });
});

describe('formatCertificateCode', () => {
  describe('given a code', () => {
    it('when formatted, then it is printed in groups of 5, 5 and 1', () => {
      const code = createCertificateCode('ABCDEFGHJK');
      expect(formatCertificateCode(code)).toBe(`ABCDE-FGHJK-${code[10]}`);
    });
  });
});

import { DomainError } from '../../../src/domain/errors';
import { maskName, parsePersonName } from '../../../src/domain/worker/person-name';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefused(raw: unknown, problem: RegExp, field = 'name'): DomainError {
  const error = refusal(() => (field === 'name' ? parsePersonName(raw) : parsePersonName(raw, field)));
  expect(error.kind).toBe('invalid');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

describe('parsePersonName', () => {
  describe('given real names', () => {
    it.each([
      ['张三'],
      ['李'],
      ['欧阳娜娜'],
      ['买买提·艾力'],
      ['阿卜杜热合曼·阿卜杜拉'],
      ['John Smith'],
      ["Mary-Jane O'Neil"],
      ['J. R. R. Tolkien'],
      ['José Núñez'],
      ['김민준'],
      ['Наталья'],
    ])('when %p is parsed, then it is accepted unchanged', (raw) => {
      expect(parsePersonName(raw)).toBe(raw);
    });
  });

  describe('given names that need normalising', () => {
    it('when surrounded by spaces (including full-width), then they are trimmed', () => {
      expect(parsePersonName('  张三\u3000')).toBe('张三');
    });

    it('when words are separated by several spaces, then one space is kept', () => {
      expect(parsePersonName('John    Smith')).toBe('John Smith');
    });

    it('when a look-alike middle dot is used, then it becomes ·', () => {
      expect(parsePersonName('买买提•艾力')).toBe('买买提·艾力');
      expect(parsePersonName('买买提・艾力')).toBe('买买提·艾力');
    });

    it('when a letter is written with a combining accent, then it is composed (NFC)', () => {
      expect(parsePersonName('Jose\u0301')).toBe('Jos\u00e9');
    });
  });

  describe('given the length limit of 50 characters', () => {
    it('when the name has exactly 50 Chinese characters, then it is accepted', () => {
      expect(parsePersonName('张'.repeat(50))).toHaveLength(50);
    });

    it('when the name has 50 characters outside the BMP, then they are counted as 50, not 100', () => {
      const name = '𠀀'.repeat(50); // U+20000, a CJK Extension B character (two UTF-16 units)
      expect(parsePersonName(name)).toBe(name);
    });

    it('when the name has 51 characters, then it is refused', () => {
      expectRefused('张'.repeat(51), /at most 50 characters \(got 51\)/);
    });
  });

  describe('given bad characters', () => {
    it.each([['张三1'], ['Agent 007'], ['张３'], ['Ⅷ世']])(
      'when %p contains digits, then it is refused',
      (raw) => {
        expectRefused(raw, /must not contain digits/);
      },
    );

    it.each([['张\n三'], ['张\u0000三'], ['张\u200b三'], ['John\tSmith'], ['张\u202e三']])(
      'when %p contains control or invisible characters, then it is refused',
      (raw) => {
        expectRefused(raw, /must not contain control or invisible characters/);
      },
    );

    it.each([['<script>'], ['张三@'], ['张三😀'], ['Smith, John']])(
      'when %p contains other symbols, then it is refused',
      (raw) => {
        expectRefused(raw, /may contain only letters, spaces and the separators/);
      },
    );

    it.each([['·'], ['- .']])('when %p has no letter, then it is refused', (raw) => {
      expectRefused(raw, /at least one letter/);
    });
  });

  describe('given missing or non-string input', () => {
    it.each([[''], ['   '], [undefined], [null]])('when given %p, then it is refused as required', (raw) => {
      expectRefused(raw, /is required/);
    });

    it.each([[42], [{}], [['张三']]])('when given %p, then it must be a string', (raw) => {
      expectRefused(raw, /must be a string/);
    });
  });

  describe('given a custom field name', () => {
    it('when the name is refused, then the error names that field', () => {
      const error = expectRefused('张三1', /digits/, 'emergencyContact.name');
      expect(error.message).toBe('emergencyContact.name must not contain digits');
    });
  });
});

describe('maskName', () => {
  describe('given Chinese names', () => {
    it.each([
      ['张三丰', '张*丰'],
      ['张三', '张*'],
      ['欧阳娜娜', '欧**娜'],
      ['买买提·艾力', '买**·*力'],
      ['李', '李'],
      ['김민준', '김*준'],
    ])('when %p is masked, then it becomes %p', (name, masked) => {
      expect(maskName(parsePersonName(name))).toBe(masked);
    });
  });

  describe('given Latin names', () => {
    it.each([
      ['John Smith', 'J*** S****'],
      ['Madonna', 'M******'],
      ["Mary-Jane O'Neil", "M***-J*** O'N***"],
      ['Li', 'L*'],
      ['J R', 'J *'],
      ['José Núñez', 'J*** N****'],
    ])('when %p is masked, then it becomes %p', (name, masked) => {
      expect(maskName(parsePersonName(name))).toBe(masked);
    });
  });

  describe('given any name of more than one letter', () => {
    it.each([['张三'], ['AB'], ['A B'], ['A.B'], ['A B C D'], ['买·艾'], ['欧阳娜娜'], ['J. R. R. Tolkien']])(
      'when %p is masked, then it is never shown in full',
      (name) => {
        const masked = maskName(parsePersonName(name));
        expect(masked).not.toBe(name);
        expect(masked).toContain('*');
        expect(Array.from(masked)).toHaveLength(Array.from(name).length);
      },
    );
  });
});

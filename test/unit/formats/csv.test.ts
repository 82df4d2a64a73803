import { CsvSyntaxError, parseCsv, toCsv } from '../../../src/infrastructure/formats/csv';

const fieldsOf = (text: string) => parseCsv(text).map((record) => record.fields);

describe('CSV (RFC 4180)', () => {
  describe('parseCsv', () => {
    it('splits records on CRLF, LF or CR and fields on commas', () => {
      expect(fieldsOf('a,b,c\r\n1,2,3\n4,5,6\r7,8,9')).toEqual([
        ['a', 'b', 'c'],
        ['1', '2', '3'],
        ['4', '5', '6'],
        ['7', '8', '9'],
      ]);
    });

    it('ignores one line break at the end of the file and keeps empty fields', () => {
      expect(fieldsOf('a,,c\r\n')).toEqual([['a', '', 'c']]);
      expect(fieldsOf('a,\r\n,b\r\n')).toEqual([
        ['a', ''],
        ['', 'b'],
      ]);
    });

    it('reads quoted fields with commas, doubled quotes and line breaks', () => {
      expect(fieldsOf('"a,b","say ""hi""","line1\r\nline2"\r\nx,"",z')).toEqual([
        ['a,b', 'say "hi"', 'line1\r\nline2'],
        ['x', '', 'z'],
      ]);
    });

    it('skips a UTF-8 byte order mark and keeps Chinese text', () => {
      expect(fieldsOf('\uFEFF姓名,电话\r\n张三丰,13812345678')).toEqual([
        ['姓名', '电话'],
        ['张三丰', '13812345678'],
      ]);
    });

    it('tells the line each record starts on, counting line breaks inside quotes', () => {
      expect(parseCsv('a\r\n"b\r\nc"\r\nd\r\n\r\ne').map((record) => record.line)).toEqual([1, 2, 4, 5, 6]);
    });

    it('reads an empty text as no records', () => {
      expect(parseCsv('')).toEqual([]);
      expect(parseCsv('\uFEFF')).toEqual([]);
    });

    it.each([
      ['a quoted field never closed', 'a,"b\r\nc', 1, 'a quoted field is never closed'],
      ['text after a closing quote', '"a"b,c', 1, 'a closing quote must be followed by a comma'],
      ['a quote inside an unquoted field', 'x\r\nab"c,d', 2, 'a quote inside an unquoted field'],
    ])('refuses %s, naming the line', (_case, text, line, message) => {
      let error: unknown;
      try {
        parseCsv(text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect(error).toMatchObject({ line, message: expect.stringContaining(message) });
    });
  });

  describe('toCsv', () => {
    it('writes CRLF records, quotes what needs quoting and starts with a BOM when asked', () => {
      const text = toCsv(
        [
          ['姓名', 'note', 'score'],
          ['张三丰', 'a, "b"', 86],
          ['李四', 'two\nlines', null],
        ],
        { bom: true },
      );
      expect(text).toBe('\uFEFF姓名,note,score\r\n张三丰,"a, ""b""",86\r\n李四,"two\nlines",\r\n');
    });

    it('round-trips through parseCsv', () => {
      const rows = [
        ['a', 'b,c', 'd"e', 'f\r\ng', ''],
        ['上海', '徐汇区', ' spaced ', 'x', 'y'],
      ];
      expect(fieldsOf(toCsv(rows, { bom: true }))).toEqual(rows);
    });

    it('defuses text a spreadsheet would run as a formula', () => {
      expect(toCsv([['=1+1', '+A1', '-2', '@SUM(A1)', 'ok']])).toBe("'=1+1,'+A1,'-2,'@SUM(A1),ok\r\n");
      expect(toCsv([[-2]])).toBe('-2\r\n');
    });
  });
});

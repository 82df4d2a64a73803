import fc from 'fast-check';
import { jsonCopy } from '../../src/application/json-copy';

describe('jsonCopy', () => {
  it('gives back what a JSON round trip gives back, for any JSON-like value', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const copied = jsonCopy(v);
        expect(copied).toStrictEqual(v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('shares nothing with the original', () => {
    const original = { a: { b: [1, { c: 'x' }] } };
    const copied = jsonCopy(original);
    copied.a.b.push(2);
    (copied.a.b[1] as { c: string }).c = 'y';
    expect(original).toEqual({ a: { b: [1, { c: 'x' }] } });
  });

  it('leaves out functions and symbols as JSON does, and refuses a BigInt', () => {
    expect(jsonCopy({ f: () => 1, s: Symbol('s'), a: [() => 1], n: NaN })).toStrictEqual({
      a: [null],
      n: null,
    });
    expect(() => jsonCopy({ big: 1n })).toThrow(TypeError);
  });
});

import { invalidField } from '../errors';

/** The 6-digit administrative code of one of Shanghai's 16 districts. */
export type DistrictCode = string & { readonly __brand: 'DistrictCode' };

const DISTRICTS: ReadonlyArray<readonly [string, string]> = [
  ['310101', '黄浦区'],
  ['310104', '徐汇区'],
  ['310105', '长宁区'],
  ['310106', '静安区'],
  ['310107', '普陀区'],
  ['310109', '虹口区'],
  ['310110', '杨浦区'],
  ['310112', '闵行区'],
  ['310113', '宝山区'],
  ['310114', '嘉定区'],
  ['310115', '浦东新区'],
  ['310116', '金山区'],
  ['310117', '松江区'],
  ['310118', '青浦区'],
  ['310120', '奉贤区'],
  ['310151', '崇明区'],
];

export const SHANGHAI_DISTRICTS: ReadonlyArray<{ readonly code: DistrictCode; readonly name: string }> =
  Object.freeze(DISTRICTS.map(([code, name]) => Object.freeze({ code: code as DistrictCode, name })));

const NAME_BY_CODE: ReadonlyMap<string, string> = new Map(DISTRICTS);

/** Parses a Shanghai district code given as a 6-digit string, e.g. '310101'. */
export function parseDistrict(raw: unknown, field = 'district'): DistrictCode {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw === 'number') {
    throw invalidField(field, "must be a string district code such as '310101', not a number");
  }
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const code = raw.trim();
  if (code === '') throw invalidField(field, 'is required');
  if (!NAME_BY_CODE.has(code)) {
    throw invalidField(
      field,
      `must be one of Shanghai's 16 district codes (${DISTRICTS.map(([c, n]) => `${c} ${n}`).join(', ')})`,
    );
  }
  return code as DistrictCode;
}

/** The district's Chinese name, e.g. '黄浦区'. */
export function districtName(code: DistrictCode): string {
  const name = NAME_BY_CODE.get(code);
  if (name === undefined) throw new Error(`not a Shanghai district code: '${code}'`);
  return name;
}

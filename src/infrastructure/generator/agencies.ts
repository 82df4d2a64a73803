import { composeCreditCode, type CreditCode } from '../../domain/agency/credit-code';
import { SHANGHAI_DISTRICTS, type DistrictCode } from '../../domain/agency/district';
import { apportion, Random } from './random';

/** A domestic-service agency (家政服务机构) as the platform admin registers it. */
export interface AgencySpec {
  readonly index: number;
  readonly name: string;
  readonly creditCode: CreditCode;
  readonly district: DistrictCode;
}

/** Resident population of each district in ten thousands (2020 census), used as weights. */
const POPULATION: Readonly<Record<string, number>> = {
  '310101': 66,
  '310104': 111,
  '310105': 69,
  '310106': 98,
  '310107': 124,
  '310109': 76,
  '310110': 124,
  '310112': 265,
  '310113': 224,
  '310114': 183,
  '310115': 568,
  '310116': 82,
  '310117': 191,
  '310118': 127,
  '310120': 114,
  '310151': 64,
};

// prettier-ignore
const BRANDS = [
  '好帮手', '巾帼', '阿姨帮', '安心', '贴心', '福满', '家家乐', '优佳', '康乐', '慧心', '爱家', '诚信', '万家',
  '金牌', '红枫', '兰馨', '春晖', '阳光', '和美', '舒心', '暖阳', '百合', '东方', '申城', '浦江', '惠民',
  '佳园', '馨怡', '瑞祥', '欣悦', '恒信', '宜家', '如意', '吉祥', '鑫诚', '华顺', '美邻', '益康', '月嫂之家', '亲情',
];
// prettier-ignore
const QUALIFIERS = ['', '家政', '家庭', '母婴', '保洁', '养老', '社区', '综合'];
const CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/**
 * `count` agencies spread over Shanghai's 16 districts by population (every district gets at least
 * one when there are 16 or more), with unique names and valid, unique credit codes.
 */
export function makeAgencies(count: number, random: Random): AgencySpec[] {
  const districts = SHANGHAI_DISTRICTS.map((district) => district.code);
  const perDistrict =
    count >= districts.length
      ? apportion(
          count - districts.length,
          districts.map((code) => POPULATION[code]!),
        ).map((n) => n + 1)
      : apportion(
          count,
          districts.map((code) => POPULATION[code]!),
        );
  const names = new Set<string>();
  const agencies: AgencySpec[] = [];
  districts.forEach((district, d) => {
    for (let i = 0; i < perDistrict[d]!; i++) {
      const index = agencies.length;
      agencies.push({
        index,
        name: uniqueName(names, random),
        creditCode: creditCode(district, index),
        district,
      });
    }
  });
  return agencies;
}

function uniqueName(taken: Set<string>, random: Random): string {
  for (let attempt = 0; ; attempt++) {
    const brand = random.pick(BRANDS);
    const qualifier = random.pick(QUALIFIERS);
    const branch = attempt < 20 ? '' : `第${attempt - 19}`;
    const name = `上海${brand}${qualifier}${branch}服务有限公司`;
    if (taken.has(name)) continue;
    taken.add(name);
    return name;
  }
}

/** '91' (enterprise registered with market regulation) + the district code + 9 characters from the index. */
function creditCode(district: string, index: number): CreditCode {
  let body = '';
  let rest = index + 31 ** 4; // keeps the code the same length for every index below ~27 million
  for (let i = 0; i < 6; i++) {
    body = CODE_ALPHABET[rest % 31] + body;
    rest = Math.floor(rest / 31);
  }
  return composeCreditCode(`91${district}MA1${body}`);
}

/**
 * How many workers each agency registers: a few large agencies and many small ones (a log-normal
 * spread), adding up to exactly `total`.
 */
export function workersPerAgency(agencies: number, total: number, random: Random): number[] {
  const weights = Array.from({ length: agencies }, () => Math.exp(random.normal(0, 0.9)));
  return apportion(total, weights);
}

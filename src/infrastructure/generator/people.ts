import { parsePersonName, type PersonName } from '../../domain/worker/person-name';
import { parsePhone, type Phone } from '../../domain/worker/phone';
import { composeResidentId, type ResidentId } from '../../domain/worker/resident-id';
import { Random, WeightedTable } from './random';

/** One domestic-service worker as an agency would register them. */
export interface Person {
  readonly name: PersonName;
  readonly idNumber: ResidentId;
  readonly phone: Phone;
}

// Common surnames with rough relative frequencies (per mille of the population).
// prettier-ignore
const SURNAMES = new WeightedTable<string>([
  ['王', 72], ['李', 72], ['张', 69], ['刘', 54], ['陈', 45], ['杨', 31], ['黄', 22], ['赵', 22],
  ['吴', 20], ['周', 19], ['徐', 15], ['孙', 15], ['马', 13], ['朱', 13], ['胡', 12], ['郭', 11],
  ['何', 10], ['高', 10], ['林', 10], ['罗', 9], ['郑', 9], ['梁', 9], ['谢', 8], ['宋', 7], ['唐', 7],
  ['许', 6], ['韩', 6], ['冯', 6], ['邓', 6], ['曹', 6], ['彭', 5], ['曾', 5], ['肖', 5], ['田', 5],
  ['董', 5], ['袁', 5], ['潘', 4], ['于', 4], ['蒋', 4], ['蔡', 4], ['余', 4], ['杜', 4], ['叶', 4],
  ['程', 4], ['苏', 3], ['魏', 3], ['吕', 3], ['丁', 3], ['任', 3], ['沈', 3], ['姚', 3], ['卢', 3],
  ['姜', 3], ['崔', 3], ['钟', 3], ['谭', 3], ['陆', 3], ['汪', 3], ['范', 3], ['金', 3], ['石', 3],
  ['廖', 2], ['贾', 2], ['夏', 2], ['韦', 2], ['付', 2], ['方', 2], ['白', 2], ['邹', 2], ['孟', 2],
  ['熊', 2], ['秦', 2], ['邱', 2], ['江', 2], ['尹', 2], ['薛', 2], ['闫', 2], ['段', 2], ['雷', 2],
  ['侯', 2], ['龙', 2], ['史', 2], ['陶', 2], ['黎', 2], ['贺', 2], ['顾', 2], ['毛', 2], ['郝', 2],
  ['龚', 2], ['邵', 2], ['万', 2], ['钱', 2], ['严', 1], ['武', 1], ['戴', 1], ['莫', 1], ['孔', 1],
  ['汤', 1], ['欧阳', 0.3], ['司马', 0.05], ['诸葛', 0.05], ['上官', 0.05],
]);

// prettier-ignore
const FEMALE_GIVEN = [
  '秀', '英', '华', '玲', '芳', '兰', '红', '梅', '丽', '霞', '琴', '凤', '珍', '娟', '萍', '燕', '桂',
  '云', '敏', '静', '艳', '莉', '春', '翠', '金', '玉', '婷', '琳', '慧', '月', '美', '彩', '菊', '香',
  '淑', '雪', '琼', '莲', '爱', '素', '巧', '雅', '芬', '佳', '荣', '娥', '娜', '晓', '亚', '小',
];
// prettier-ignore
const MALE_GIVEN = [
  '伟', '强', '军', '勇', '杰', '涛', '明', '超', '刚', '平', '辉', '建', '国', '文', '志', '海', '林',
  '华', '斌', '波', '宏', '忠', '德', '福', '生', '荣', '新', '永', '春', '东', '庆', '学', '祥',
];
/** A few Uyghur-style names written with the middle dot, as they appear on ID cards. */
// prettier-ignore
const DOTTED_NAMES = [
  '阿依古丽·买买提', '古丽娜尔·阿不都', '热娜·吐尔逊', '帕提古丽·艾力', '买买提·艾力', '艾尼瓦尔·热合曼',
];

/**
 * Where workers were born, as the first six digits of their ID: Shanghai's own districts and the
 * provinces most of the city's domestic workers come from.
 */
// prettier-ignore
const BIRTHPLACES = new WeightedTable<string>([
  ['310101', 2], ['310104', 2], ['310107', 2], ['310110', 2], ['310112', 2], ['310115', 4], ['310230', 2],
  ['340121', 6], ['341221', 6], ['341522', 5], ['342425', 4], ['340822', 4], ['341621', 4], // Anhui
  ['320826', 3], ['321322', 3], ['320923', 2], ['320721', 2], // Jiangsu
  ['411524', 3], ['412725', 3], ['411322', 2], ['410526', 2], // Henan
  ['511322', 3], ['510722', 2], ['513030', 2], // Sichuan
  ['362330', 2], ['360731', 2], ['362229', 2], // Jiangxi
  ['422822', 1.5], ['430524', 1.5], ['430921', 1.5], // Hubei, Hunan
  ['370882', 1], ['130622', 1], ['522126', 1], ['620523', 1], ['652101', 0.3], // Shandong, Hebei, Guizhou, Gansu, Xinjiang
]);

// prettier-ignore
const MOBILE_PREFIXES = [
  '130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156',
  '157', '158', '159', '166', '173', '176', '177', '180', '181', '182', '183', '185', '186', '187', '188',
  '189', '199',
];

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Makes people one after another; ID numbers and phone numbers never repeat within one maker. */
export class PeopleMaker {
  private readonly idNumbers = new Set<string>();
  private readonly phones = new Set<string>();

  constructor(private readonly random: Random) {}

  next(): Person {
    // Most domestic workers are women in their forties and fifties.
    const female = this.random.chance(0.9);
    return {
      name: parsePersonName(this.name(female)),
      idNumber: this.idNumber(female),
      phone: parsePhone(this.phone()),
    };
  }

  private name(female: boolean): string {
    if (this.random.chance(0.003)) return this.random.pick(DOTTED_NAMES);
    const given = female ? FEMALE_GIVEN : MALE_GIVEN;
    const first = this.random.pick(given);
    const second = this.random.chance(0.7) ? this.random.pick(given) : '';
    return SURNAMES.pick(this.random) + first + (first === second ? '' : second);
  }

  private idNumber(female: boolean): ResidentId {
    for (;;) {
      const year = Math.round(Math.min(2002, Math.max(1958, this.random.normal(1975, 8))));
      const month = this.random.between(1, 12);
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      const day = this.random.between(1, month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
      // The third sequence digit is odd for men and even for women.
      const sequence = `${this.random.digits(2)}${2 * this.random.int(5) + (female ? 0 : 1)}`;
      const birth = `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
      const id = composeResidentId(BIRTHPLACES.pick(this.random), birth, sequence);
      if (this.idNumbers.has(id)) continue;
      this.idNumbers.add(id);
      return id;
    }
  }

  private phone(): string {
    for (;;) {
      const phone = this.random.pick(MOBILE_PREFIXES) + this.random.digits(8);
      if (this.phones.has(phone)) continue;
      this.phones.add(phone);
      return phone;
    }
  }
}

import { CITIZEN } from '../../src/domain/actor';
import type { CertificateEvent } from '../../src/domain/certificate/certificate';
import { createCertificateCode } from '../../src/domain/certificate/certificate-code';
import {
  certificateRatingsDecider,
  ratedCertificate,
  ratingSummary,
  type CertificateRated,
  type CertificateRatingsState,
  type RateCertificate,
  type RatedCertificate,
} from '../../src/domain/certificate/certificate-ratings';
import { fold } from '../../src/domain/decider';
import { DeciderSpecification } from './decider-specification';

const now = '2026-11-24T08:00:00.000Z';
const certificateId = 'cert-1';
const code = createCertificateCode('ABCDE12345');
const otherCode = createCertificateCode('ABCDE12346');

const spec = DeciderSpecification.for(certificateRatingsDecider);

const valid: RatedCertificate = { status: 'valid', certificateId, code };
const revoked: RatedCertificate = { status: 'revoked', certificateId, code };

const rate = (
  rating: { score: unknown; comment?: unknown },
  certificate: RatedCertificate = valid,
  ratingId = 'rating-1',
): RateCertificate => ({
  type: 'RateCertificate',
  data: { ratingId, code, certificateId, certificate, ...rating },
  metadata: { actor: CITIZEN, now },
});

const rated = (score: number, ratingId = 'rating-1', comment?: string): CertificateRated => ({
  type: 'CertificateRated',
  data: { ratingId, certificateId, code, score, ...(comment !== undefined ? { comment } : {}) },
});

describe('certificate ratings decider', () => {
  describe('rating a valid certificate', () => {
    it('given no ratings, when a citizen gives 5, then CertificateRated records the score and nothing else', () => {
      const state = spec
        .given([])
        .when(rate({ score: 5 }))
        .then([rated(5)]);

      expect(state).toEqual<CertificateRatingsState>({
        status: 'rated',
        certificateId,
        code,
        count: 1,
        total: 5,
      });
    });

    it('given two ratings, when a third comes with a comment, then the comment is kept trimmed and the state counts three', () => {
      const state = spec
        .given([rated(5, 'r1'), rated(3, 'r2')])
        .when(rate({ score: 4, comment: '  准时，认真。 \n' }, valid, 'r3'))
        .then([rated(4, 'r3', '准时，认真。')]);

      expect(state).toMatchObject({ status: 'rated', count: 3, total: 12 });
    });

    it.each([1, 2, 3, 4, 5])('accepts the score %d', (score) => {
      spec
        .given([])
        .when(rate({ score }))
        .then([rated(score)]);
    });

    it('drops a comment that is only white space, and accepts exactly 500 characters (code points)', () => {
      spec
        .given([])
        .when(rate({ score: 3, comment: ' \t\n ' }))
        .then([rated(3)]);
      const longest = '好'.repeat(499) + '𠮷';
      spec
        .given([])
        .when(rate({ score: 3, comment: `  ${longest}  ` }))
        .then([rated(3, 'rating-1', longest)]);
    });
  });

  describe('refusals', () => {
    it.each<[string, unknown]>([
      ['0', 0],
      ['6', 6],
      ['2.5', 2.5],
      ['the string "5"', '5'],
      ['missing', undefined],
      ['null', null],
      ['NaN', Number.NaN],
      ['-1', -1],
    ])('refuses the score %s as invalid, naming score', (_name, score) => {
      const error = spec
        .given([])
        .when(rate({ score }))
        .thenFails('invalid', 'score must be a whole number from 1 to 5');
      expect(error.field).toBe('score');
    });

    it('refuses a comment longer than 500 characters, naming comment', () => {
      const error = spec
        .given([])
        .when(rate({ score: 4, comment: 'a'.repeat(501) }))
        .thenFails('invalid', 'comment must be at most 500 characters (got 501)');
      expect(error.field).toBe('comment');
    });

    it('refuses a comment that is not a string, naming comment', () => {
      const error = spec
        .given([])
        .when(rate({ score: 4, comment: 42 }))
        .thenFails('invalid', 'comment must be a string');
      expect(error.field).toBe('comment');
    });

    it('refuses an ID number or a phone number in a comment: it is kept in clear', () => {
      spec
        .given([])
        .when(rate({ score: 2, comment: '她的电话 138 1234 5678' }))
        .thenFails('invalid', 'comment must not contain a phone number');
      spec
        .given([])
        .when(rate({ score: 2, comment: '身份证 11010519491231002X' }))
        .thenFails('invalid', 'comment must not contain an ID number');
    });

    it('refuses a code no certificate was issued with as not found', () => {
      spec
        .given([])
        .when(rate({ score: 5 }, { status: 'unknown' }))
        .thenFails('not_found', `no certificate has the code ${code}`);
      spec
        .given([])
        .when(rate({ score: 5 }, { status: 'valid', certificateId, code: otherCode }))
        .thenFails('not_found', `no certificate has the code ${code}`);
      spec
        .given([])
        .when(rate({ score: 5 }, { status: 'valid', certificateId: 'cert-2', code }))
        .thenFails('not_found');
    });

    it('refuses a revoked certificate as a conflict, even after earlier ratings', () => {
      spec
        .given([rated(5)])
        .when(rate({ score: 1 }, revoked))
        .thenFails('conflict', `certificate ${code} is revoked; only a valid certificate can be rated`);
    });

    it('refuses bad input before it looks at the certificate', () => {
      spec
        .given([])
        .when(rate({ score: 9 }, { status: 'unknown' }))
        .thenFails('invalid', 'score');
    });
  });

  it('starts unrated', () => {
    expect(spec.given([]).state).toEqual({ status: 'unrated' });
  });
});

describe('what a citizen can rate, folded from the certificate stream', () => {
  const applied: CertificateEvent = {
    type: 'CertificateApplied',
    data: { certificateId, workerId: 'worker-1', agencyId: 'agency-a', district: '310101' },
  };
  const issued: CertificateEvent = {
    type: 'CertificateIssued',
    data: { certificateId, code, workerId: 'w' },
  };
  const handedOver: CertificateEvent = {
    type: 'CertificateHandedOver',
    data: { certificateId, mode: 'individual' },
  };
  const revocation: CertificateEvent = {
    type: 'CertificateRevoked',
    data: { certificateId, reason: 'left' },
  };

  it('is unknown until issued, valid once issued (handed over or not), revoked after revocation', () => {
    expect(fold(ratedCertificate, [])).toEqual({ status: 'unknown' });
    expect(fold(ratedCertificate, [applied])).toEqual({ status: 'unknown' });
    expect(fold(ratedCertificate, [applied, issued])).toEqual(valid);
    expect(fold(ratedCertificate, [applied, issued, handedOver])).toEqual(valid);
    expect(fold(ratedCertificate, [applied, issued, handedOver, revocation])).toEqual(revoked);
  });

  it('stays unknown for an application revoked before it was issued', () => {
    expect(fold(ratedCertificate, [applied, revocation])).toEqual({ status: 'unknown' });
  });
});

describe('the public rating summary', () => {
  it('has no average without ratings, and the mean rounded to one decimal otherwise', () => {
    expect(ratingSummary(0, 0)).toEqual({ count: 0, average: null });
    expect(ratingSummary(2, 9)).toEqual({ count: 2, average: 4.5 });
    expect(ratingSummary(3, 14)).toEqual({ count: 3, average: 4.7 });
    expect(ratingSummary(3, 13)).toEqual({ count: 3, average: 4.3 });
    expect(ratingSummary(4, 17)).toEqual({ count: 4, average: 4.3 });
    expect(ratingSummary(7, 7)).toEqual({ count: 7, average: 1 });
  });
});

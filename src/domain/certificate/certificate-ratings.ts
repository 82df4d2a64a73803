import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { DomainError, conflict, invalidField, notFound } from '../errors';
import { refusePersonalNumbers } from '../free-text';
import type { CertificateEvent } from './certificate';
import type { CertificateCode } from './certificate-code';

/**
 * Citizens' ratings of the worker who served them (评价), kept on the certificate's own
 * `certificateratings-<certificateId>` stream: the certificate's stream stays its lifecycle, which is
 * what auditors replay, and ratings never contend with the agency's and reviewers' writes.
 */

export const MIN_SCORE = 1;
export const MAX_SCORE = 5;
/** Characters (Unicode code points) of a comment, after trimming. */
export const MAX_COMMENT_LENGTH = 500;

/**
 * What a citizen can rate, folded from the certificate's own events: a certificate that was issued
 * with a code, valid or revoked since. An application that never got a code (even one whose code was
 * reserved and then not used) is `unknown`, as it is to the public view.
 */
export type RatedCertificate =
  { status: 'unknown' } | { status: 'valid' | 'revoked'; certificateId: string; code: string };

export const ratedCertificate: Pick<
  Decider<never, CertificateEvent, RatedCertificate>,
  'initialState' | 'evolve'
> = {
  initialState: { status: 'unknown' },
  evolve(state: RatedCertificate, event: CertificateEvent): RatedCertificate {
    switch (event.type) {
      case 'CertificateIssued':
        return { status: 'valid', certificateId: event.data.certificateId, code: event.data.code };
      case 'CertificateRevoked':
        return state.status === 'valid' ? { ...state, status: 'revoked' } : state;
      default:
        return state;
    }
  },
};

export type RateCertificate = Command<
  'RateCertificate',
  {
    ratingId: string;
    /** The code the citizen gave (already well-formed) and the certificate it was reserved for. */
    code: CertificateCode;
    certificateId: string;
    /** Unchecked: the decider validates them (the HTTP edge does too). */
    score: unknown;
    comment?: unknown;
    /** The certificate as its own stream has it now. */
    certificate: RatedCertificate;
  }
>;

export type CertificateRatingsCommand = RateCertificate;

/** Never the citizen's address or device: the event's actor is the anonymous citizen. */
export type CertificateRated = DomainEvent<
  'CertificateRated',
  { ratingId: string; certificateId: string; code: string; score: number; comment?: string }
>;

export type CertificateRatingsEvent = CertificateRated;

export type CertificateRatingsState =
  | { status: 'unrated' }
  | { status: 'rated'; certificateId: string; code: string; count: number; total: number };

/** A whole number from 1 to 5, or a refusal naming `score`. */
function scoreOf(raw: unknown): number | DomainError {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < MIN_SCORE || raw > MAX_SCORE) {
    return invalidField('score', `must be a whole number from ${MIN_SCORE} to ${MAX_SCORE}`);
  }
  return raw;
}

/** Trimmed; absent when empty; at most 500 characters; no ID or phone number (it is kept in clear). */
function commentOf(raw: unknown): string | undefined | DomainError {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') return invalidField('comment', 'must be a string');
  const comment = raw.trim();
  if (comment === '') return undefined;
  const length = [...comment].length;
  if (length > MAX_COMMENT_LENGTH) {
    return invalidField('comment', `must be at most ${MAX_COMMENT_LENGTH} characters (got ${length})`);
  }
  return refusePersonalNumbers(comment, 'comment') ?? comment;
}

export const certificateRatingsDecider: Decider<
  CertificateRatingsCommand,
  CertificateRatingsEvent,
  CertificateRatingsState
> = {
  initialState: { status: 'unrated' },

  decide(
    command: CertificateRatingsCommand,
    _state: CertificateRatingsState,
  ): Decision<CertificateRatingsEvent> {
    switch (command.type) {
      case 'RateCertificate': {
        const { ratingId, code, certificateId, certificate } = command.data;
        const score = scoreOf(command.data.score);
        if (score instanceof DomainError) return score;
        const comment = commentOf(command.data.comment);
        if (comment instanceof DomainError) return comment;
        // Anyone may rate (the route is public), but only the certificate the code was issued to.
        if (
          certificate.status === 'unknown' ||
          certificate.code !== code ||
          certificate.certificateId !== certificateId
        ) {
          return notFound(`no certificate has the code ${code}`);
        }
        if (certificate.status === 'revoked') {
          return conflict(`certificate ${code} is revoked; only a valid certificate can be rated`);
        }
        return [
          {
            type: 'CertificateRated',
            data: { ratingId, certificateId, code, score, ...(comment !== undefined ? { comment } : {}) },
          },
        ];
      }
      default:
        return assertNever(command.type);
    }
  },

  evolve(state: CertificateRatingsState, event: CertificateRatingsEvent): CertificateRatingsState {
    switch (event.type) {
      case 'CertificateRated': {
        const { certificateId, code, score } = event.data;
        return state.status === 'rated'
          ? { ...state, count: state.count + 1, total: state.total + score }
          : { status: 'rated', certificateId, code, count: 1, total: score };
      }
      default:
        return assertNever(event.type);
    }
  },
};

/** The public summary: how many ratings, and their mean rounded to one decimal (null when none). */
export function ratingSummary(count: number, total: number): { count: number; average: number | null } {
  return { count, average: count === 0 ? null : Math.round((total * 10) / count) / 10 };
}

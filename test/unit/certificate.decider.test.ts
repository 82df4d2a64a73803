import type { Actor, Role } from '../../src/domain/actor';
import {
  certificateDecider,
  isActive,
  type CertificateCommand,
  type CertificateEvent,
  type CertificateState,
  type CertificateStatus,
} from '../../src/domain/certificate/certificate';
import { createCertificateCode } from '../../src/domain/certificate/certificate-code';
import type { CommandMetadata } from '../../src/domain/decider';
import type { TrainingReadiness } from '../../src/domain/training/training-record';
import { DeciderSpecification } from './decider-specification';

const operatorA: Actor = { id: 'op-1', role: 'agency_operator', agencyId: 'agency-a' };
const operatorB: Actor = { id: 'op-2', role: 'agency_operator', agencyId: 'agency-b' };
const reviewer: Actor = { id: 'rev-1', role: 'platform_reviewer' };
const police: Actor = { id: 'pol-1', role: 'police_liaison' };
const regulator: Actor = { id: 'reg-1', role: 'regulator' };
const auditor: Actor = { id: 'aud-1', role: 'auditor' };
const now = '2026-11-24T08:00:00.000Z';
const by = (actor: Actor): CommandMetadata => ({ actor, now });

const certificateId = 'cert-1';
const code = createCertificateCode('ABCDE12345');
const reference = 'PSB-2026-000123';

const spec = DeciderSpecification.for(certificateDecider);

// Commands, each by the role that normally sends it.
const apply = (actor: Actor = operatorA): CertificateCommand => ({
  type: 'ApplyForCertificate',
  data: { certificateId, workerId: 'worker-1', agencyId: 'agency-a', district: '310101' },
  metadata: by(actor),
});
const companyCheck = (
  outcome: 'passed' | 'failed' = 'passed',
  note?: string,
  actor: Actor = operatorA,
): CertificateCommand => ({
  type: 'RecordCompanyCheck',
  data: { certificateId, outcome, ...(note !== undefined ? { note } : {}) },
  metadata: by(actor),
});
const platformVerification = (
  outcome: 'passed' | 'failed' = 'passed',
  note?: string,
): CertificateCommand => ({
  type: 'RecordPlatformVerification',
  data: { certificateId, outcome, ...(note !== undefined ? { note } : {}) },
  metadata: by(reviewer),
});
const policeComparison = (outcome: 'clear' | 'record_found' = 'clear'): CertificateCommand => ({
  type: 'RecordPoliceComparison',
  data: { certificateId, outcome, reference },
  metadata: by(police),
});
const trained: TrainingReadiness = { completed: true, classHours: 3, examPassed: true };
const issue = (consentOnFile = true, training: TrainingReadiness = trained): CertificateCommand => ({
  type: 'IssueCertificate',
  data: { certificateId, code, worker: { consentOnFile, training } },
  metadata: by(reviewer),
});
const handOver = (
  mode: 'individual' | 'collective' = 'individual',
  batchRef?: string,
  actor: Actor = operatorA,
): CertificateCommand => ({
  type: 'HandOverCertificate',
  data: { certificateId, mode, ...(batchRef !== undefined ? { batchRef } : {}) },
  metadata: by(actor),
});
const revoke = (actor: Actor = operatorA, reason = 'worker left the agency'): CertificateCommand => ({
  type: 'RevokeCertificate',
  data: { certificateId, reason },
  metadata: by(actor),
});

// Events.
const applied: CertificateEvent = {
  type: 'CertificateApplied',
  data: { certificateId, workerId: 'worker-1', agencyId: 'agency-a', district: '310101' },
};
const companyPassed: CertificateEvent = { type: 'CompanyCheckPassed', data: { certificateId } };
const platformPassed: CertificateEvent = { type: 'PlatformVerificationPassed', data: { certificateId } };
const policeClear: CertificateEvent = { type: 'PoliceComparisonClear', data: { certificateId, reference } };
const issued: CertificateEvent = {
  type: 'CertificateIssued',
  data: { certificateId, code, workerId: 'worker-1' },
};
const handedOver: CertificateEvent = {
  type: 'CertificateHandedOver',
  data: { certificateId, mode: 'individual' },
};
const revoked = (reason = 'worker left the agency'): CertificateEvent => ({
  type: 'CertificateRevoked',
  data: { certificateId, reason },
});
const companyFailed: CertificateEvent = {
  type: 'CompanyCheckFailed',
  data: { certificateId, reason: 'not employed by the agency' },
};
const platformFailed: CertificateEvent = {
  type: 'PlatformVerificationFailed',
  data: { certificateId, reason: 'identity photo does not match' },
};
const recordFound: CertificateEvent = { type: 'PoliceRecordFound', data: { certificateId, reference } };

// Histories that lead to each status.
const awaitingCompanyCheck = [applied];
const awaitingPlatformVerification = [...awaitingCompanyCheck, companyPassed];
const awaitingPoliceCheck = [...awaitingPlatformVerification, platformPassed];
const awaitingIssue = [...awaitingPoliceCheck, policeClear];
const issuedHistory = [...awaitingIssue, issued];
const handedOverHistory = [...issuedHistory, handedOver];
const rejectedAtCompanyCheck = [applied, companyFailed];
const rejectedAtPlatformVerification = [...awaitingPlatformVerification, platformFailed];
const rejectedAtPoliceCheck = [...awaitingPoliceCheck, recordFound];
const revokedApplication = [applied, revoked()];
const revokedCertificate = [...handedOverHistory, revoked()];

const appliedFacts = { certificateId, workerId: 'worker-1', agencyId: 'agency-a', district: '310101' };

describe('certificate decider', () => {
  describe('the whole happy path', () => {
    it('applied → company check → platform verification → police clear → issued → handed over → revoked', () => {
      let state = spec.given([]).when(apply()).then([applied]);
      expect(state).toEqual<CertificateState>({ ...appliedFacts, status: 'awaiting_company_check' });

      state = spec.given([applied]).when(companyCheck('passed')).then([companyPassed]);
      expect(state).toEqual<CertificateState>({ ...appliedFacts, status: 'awaiting_platform_verification' });

      state = spec
        .given(awaitingPlatformVerification)
        .when(platformVerification('passed'))
        .then([platformPassed]);
      expect(state).toEqual<CertificateState>({ ...appliedFacts, status: 'awaiting_police_check' });

      state = spec.given(awaitingPoliceCheck).when(policeComparison('clear')).then([policeClear]);
      expect(state).toEqual<CertificateState>({ ...appliedFacts, status: 'awaiting_issue' });

      state = spec.given(awaitingIssue).when(issue()).then([issued]);
      expect(state).toEqual<CertificateState>({ ...appliedFacts, status: 'issued', code, handedOver: null });

      state = spec.given(issuedHistory).when(handOver('individual')).then([handedOver]);
      expect(state).toMatchObject({ status: 'issued', code, handedOver: { mode: 'individual' } });

      state = spec
        .given(handedOverHistory)
        .when(revoke(operatorA, 'worker left the agency'))
        .then([revoked('worker left the agency')]);
      expect(state).toEqual<CertificateState>({
        ...appliedFacts,
        status: 'revoked',
        reason: 'worker left the agency',
      });
    });

    it('a passing company check or platform verification keeps its note', () => {
      spec
        .given([applied])
        .when(companyCheck('passed', 'employment contract seen'))
        .then([{ type: 'CompanyCheckPassed', data: { certificateId, note: 'employment contract seen' } }]);
      spec
        .given(awaitingPlatformVerification)
        .when(platformVerification('passed', 'training record ok'))
        .then([{ type: 'PlatformVerificationPassed', data: { certificateId, note: 'training record ok' } }]);
    });

    it('the issued certificate carries the code and the worker', () => {
      const state = spec.given(awaitingIssue).when(issue()).then([issued]);

      expect(code).toMatch(/^ABCDE12345[0-9A-Y]$/);
      expect(state).toMatchObject({ status: 'issued', code, workerId: 'worker-1' });
    });

    it('hands over collectively with the batch reference', () => {
      const state = spec
        .given(issuedHistory)
        .when(handOver('collective', 'BATCH-2026-11-24-01'))
        .then([
          {
            type: 'CertificateHandedOver',
            data: { certificateId, mode: 'collective', batchRef: 'BATCH-2026-11-24-01' },
          },
        ]);

      expect(state).toMatchObject({ handedOver: { mode: 'collective', batchRef: 'BATCH-2026-11-24-01' } });
    });
  });

  describe('failing gates reject the application with gate and reason', () => {
    it('a failed company check with a note rejects at company_check with the note as reason', () => {
      const state = spec
        .given([applied])
        .when(companyCheck('failed', 'not employed by the agency'))
        .then([companyFailed]);

      expect(state).toEqual<CertificateState>({
        ...appliedFacts,
        status: 'rejected',
        gate: 'company_check',
        reason: 'not employed by the agency',
      });
    });

    it('a failed company check without a note rejects with a default reason', () => {
      const state = spec
        .given([applied])
        .when(companyCheck('failed'))
        .then([{ type: 'CompanyCheckFailed', data: { certificateId, reason: 'company check failed' } }]);

      expect(state).toMatchObject({
        status: 'rejected',
        gate: 'company_check',
        reason: 'company check failed',
      });
    });

    it('a failed platform verification with a note rejects at platform_verification with the note as reason', () => {
      const state = spec
        .given(awaitingPlatformVerification)
        .when(platformVerification('failed', 'identity photo does not match'))
        .then([platformFailed]);

      expect(state).toEqual<CertificateState>({
        ...appliedFacts,
        status: 'rejected',
        gate: 'platform_verification',
        reason: 'identity photo does not match',
      });
    });

    it('a failed platform verification without a note rejects with a default reason', () => {
      const state = spec
        .given(awaitingPlatformVerification)
        .when(platformVerification('failed'))
        .then([
          {
            type: 'PlatformVerificationFailed',
            data: { certificateId, reason: 'platform verification failed' },
          },
        ]);

      expect(state).toMatchObject({
        status: 'rejected',
        gate: 'platform_verification',
        reason: 'platform verification failed',
      });
    });

    it('a police record found rejects at police_check with the reference, never the record', () => {
      const state = spec
        .given(awaitingPoliceCheck)
        .when(policeComparison('record_found'))
        .then([recordFound]);

      expect(state).toEqual<CertificateState>({
        ...appliedFacts,
        status: 'rejected',
        gate: 'police_check',
        reason: `police comparison found a record (reference ${reference})`,
      });
    });
  });

  describe('steps out of order are conflicts', () => {
    it.each<[string, CertificateEvent[], CertificateCommand, string]>([
      [
        'company check while awaiting platform verification',
        awaitingPlatformVerification,
        companyCheck(),
        'certificate cert-1 is awaiting platform verification; company check cannot be recorded now',
      ],
      ['company check after issue', issuedHistory, companyCheck(), 'is already issued; company check cannot'],
      [
        'platform verification while awaiting company check',
        awaitingCompanyCheck,
        platformVerification(),
        'certificate cert-1 is awaiting company check; platform verification cannot be recorded now',
      ],
      [
        'platform verification twice',
        awaitingPoliceCheck,
        platformVerification(),
        'is awaiting police comparison; platform verification cannot',
      ],
      [
        'police comparison while awaiting company check',
        awaitingCompanyCheck,
        policeComparison(),
        'is awaiting company check; police comparison cannot',
      ],
      [
        'police comparison before platform verification',
        awaitingPlatformVerification,
        policeComparison(),
        'certificate cert-1 is awaiting platform verification; police comparison cannot be recorded now',
      ],
      [
        'police comparison twice',
        awaitingIssue,
        policeComparison(),
        'is awaiting issue; police comparison cannot',
      ],
      [
        'issue while awaiting company check',
        awaitingCompanyCheck,
        issue(),
        'is awaiting company check; issue cannot',
      ],
      [
        'issue while awaiting platform verification',
        awaitingPlatformVerification,
        issue(),
        'is awaiting platform verification; issue cannot',
      ],
      [
        'issue before the police comparison',
        awaitingPoliceCheck,
        issue(),
        'certificate cert-1 is awaiting police comparison; issue cannot be recorded now',
      ],
      ['issue twice', issuedHistory, issue(), 'is already issued; issue cannot be recorded now'],
      [
        'hand over while awaiting company check',
        awaitingCompanyCheck,
        handOver(),
        'is awaiting company check; only an issued certificate can be handed over',
      ],
      [
        'hand over before issue',
        awaitingIssue,
        handOver(),
        'certificate cert-1 is awaiting issue; only an issued certificate can be handed over',
      ],
      ['hand over twice', handedOverHistory, handOver(), 'certificate cert-1 was already handed over'],
      [
        'collective hand over after an individual one',
        handedOverHistory,
        handOver('collective', 'BATCH-1'),
        'was already handed over',
      ],
    ])('%s', (_case, history, command, message) => {
      spec.given(history).when(command).thenFails('conflict', message);
    });
  });

  describe('issuing requirements', () => {
    it('issuing without the worker’s consent on file is a conflict naming the unmet requirement', () => {
      const error = spec
        .given(awaitingIssue)
        .when(issue(false))
        .thenFails(
          'conflict',
          'certificate cert-1 cannot be issued: the worker has not authorised the credit and criminal-record check',
        );

      expect(error.details).toEqual({
        unmet: ['the worker has not authorised the credit and criminal-record check'],
      });
    });

    it.each<[string, TrainingReadiness, string]>([
      [
        'no training at all',
        { completed: false, classHours: 0, examPassed: false },
        'the worker has not completed training (0 of 3 class hours done, no passed exam)',
      ],
      [
        'class hours done but no passed exam',
        { completed: false, classHours: 3, examPassed: false },
        'the worker has not completed training (3 of 3 class hours done, no passed exam)',
      ],
      [
        'a passed exam but too few class hours',
        { completed: false, classHours: 2, examPassed: true },
        'the worker has not completed training (2 of 3 class hours done)',
      ],
    ])('issuing with %s is a conflict naming the training requirement', (_case, training, unmet) => {
      const error = spec
        .given(awaitingIssue)
        .when(issue(true, training))
        .thenFails('conflict', `certificate cert-1 cannot be issued: ${unmet}`);

      expect(error.details).toEqual({ unmet: [unmet] });
    });

    it('names every unmet requirement when consent and training are both missing', () => {
      const error = spec
        .given(awaitingIssue)
        .when(issue(false, { completed: false, classHours: 1.5, examPassed: false }))
        .thenFails('conflict', 'cannot be issued');

      expect(error.details).toEqual({
        unmet: [
          'the worker has not authorised the credit and criminal-record check',
          'the worker has not completed training (1.5 of 3 class hours done, no passed exam)',
        ],
      });
    });
  });

  describe('on a certificate that does not exist', () => {
    it.each<[string, CertificateCommand]>([
      ['company check', companyCheck()],
      ['platform verification', platformVerification()],
      ['police comparison', policeComparison()],
      ['issue', issue()],
      ['hand over', handOver()],
      ['revoke', revoke()],
    ])('%s is a conflict', (_step, command) => {
      spec.given([]).when(command).thenFails('conflict', 'certificate cert-1 does not exist');
    });
  });

  describe('applying', () => {
    it('applying twice on the same stream is a conflict', () => {
      spec.given([applied]).when(apply()).thenFails('conflict', 'certificate cert-1 already exists');
    });

    it.each([
      ['rejected', rejectedAtCompanyCheck],
      ['revoked', revokedCertificate],
    ])('applying again on a %s certificate’s stream is a conflict', (_status, history) => {
      spec.given(history).when(apply()).thenFails('conflict', 'already exists');
    });

    it("applying as another agency's operator is forbidden", () => {
      spec
        .given([])
        .when(apply(operatorB))
        .thenFails('forbidden', 'only an operator of agency agency-a may do this');
    });

    it('applying as a platform reviewer is forbidden', () => {
      spec.given([]).when(apply(reviewer)).thenFails('forbidden', 'agency-a');
    });
  });

  describe('agency-only steps', () => {
    it.each([
      ["another agency's operator", operatorB],
      ['a platform reviewer', reviewer],
      ['a regulator', regulator],
    ])('the company check by %s is forbidden', (_who, actor) => {
      spec
        .given([applied])
        .when(companyCheck('passed', undefined, actor))
        .thenFails('forbidden', 'only an operator of agency agency-a may do this');
    });

    it.each([
      ["another agency's operator", operatorB],
      ['a platform reviewer', reviewer],
      ['a regulator', regulator],
    ])('handing over by %s is forbidden', (_who, actor) => {
      spec
        .given(issuedHistory)
        .when(handOver('collective', 'BATCH-1', actor))
        .thenFails('forbidden', 'only an operator of agency agency-a may do this');
    });
  });

  describe('revocation', () => {
    it.each([
      ["the worker's own agency operator", operatorA],
      ['a platform reviewer', reviewer],
      ['a regulator', regulator],
    ])('an issued certificate may be revoked by %s', (_who, actor) => {
      spec
        .given(issuedHistory)
        .when(revoke(actor, 'fraudulent application'))
        .then([revoked('fraudulent application')]);
    });

    it("revoking by another agency's operator is forbidden", () => {
      spec
        .given(issuedHistory)
        .when(revoke(operatorB))
        .thenFails('forbidden', 'only an operator of agency agency-a');
    });

    it.each<Role>(['police_liaison', 'auditor', 'training_provider', 'platform_admin'])(
      'revoking by a %s is forbidden',
      (role) => {
        spec
          .given(issuedHistory)
          .when(revoke({ id: 'user-1', role }))
          .thenFails('forbidden', `a ${role} may not revoke certificates`);
      },
    );

    it('revoking by the police liaison and the auditor is forbidden (named actors)', () => {
      spec.given(issuedHistory).when(revoke(police)).thenFails('forbidden', 'police_liaison');
      spec.given(issuedHistory).when(revoke(auditor)).thenFails('forbidden', 'auditor');
    });

    it.each([
      ['awaiting company check', awaitingCompanyCheck],
      ['awaiting platform verification', awaitingPlatformVerification],
      ['awaiting police check', awaitingPoliceCheck],
      ['awaiting issue', awaitingIssue],
    ])('an open application %s may be revoked', (_status, history) => {
      const state = spec.given(history).when(revoke()).then([revoked()]);

      expect(state).toEqual<CertificateState>({
        ...appliedFacts,
        status: 'revoked',
        reason: 'worker left the agency',
      });
    });

    it.each([
      ['company check', rejectedAtCompanyCheck, 'was rejected at company check; it cannot be revoked'],
      ['platform verification', rejectedAtPlatformVerification, 'was rejected at platform verification'],
      ['police comparison', rejectedAtPoliceCheck, 'was rejected at police comparison'],
    ])('revoking a certificate rejected at %s is a conflict', (_gate, history, message) => {
      spec.given(history).when(revoke(reviewer)).thenFails('conflict', message);
    });

    it.each([
      ['an application', revokedApplication],
      ['a certificate', revokedCertificate],
    ])('revoking %s already revoked is a conflict', (_what, history) => {
      spec
        .given(history)
        .when(revoke())
        .thenFails('conflict', 'certificate cert-1 is revoked; it cannot be revoked');
    });
  });

  describe('nothing happens after rejection or revocation', () => {
    const terminal: [string, CertificateEvent[], RegExp][] = [
      ['rejected at company check', rejectedAtCompanyCheck, /was rejected at company check/],
      [
        'rejected at platform verification',
        rejectedAtPlatformVerification,
        /was rejected at platform verification/,
      ],
      ['rejected at police comparison', rejectedAtPoliceCheck, /was rejected at police comparison/],
      ['revoked while open', revokedApplication, /is revoked/],
      ['revoked after hand-over', revokedCertificate, /is revoked/],
    ];
    const steps: [string, CertificateCommand][] = [
      ['company check', companyCheck()],
      ['failed company check', companyCheck('failed', 'gone')],
      ['platform verification', platformVerification()],
      ['police comparison', policeComparison()],
      ['police record found', policeComparison('record_found')],
      ['issue', issue()],
      ['hand over', handOver()],
      ['revoke', revoke()],
      ['revoke by a reviewer', revoke(reviewer)],
      ['apply', apply()],
    ];

    describe.each(terminal)('given a certificate %s', (_status, history, why) => {
      it.each(steps)('%s is a conflict', (_step, command) => {
        const error = spec.given(history).when(command).thenFails('conflict');

        if (command.type !== 'ApplyForCertificate') expect(error.message).toMatch(why);
      });
    });
  });

  describe('isActive', () => {
    it.each<[CertificateStatus | 'issued and handed over', CertificateEvent[], boolean]>([
      ['none', [], false],
      ['awaiting_company_check', awaitingCompanyCheck, true],
      ['awaiting_platform_verification', awaitingPlatformVerification, true],
      ['awaiting_police_check', awaitingPoliceCheck, true],
      ['awaiting_issue', awaitingIssue, true],
      ['issued', issuedHistory, true],
      ['issued and handed over', handedOverHistory, true],
      ['rejected', rejectedAtCompanyCheck, false],
      ['revoked', revokedCertificate, false],
    ])('is right for %s', (status, history, active) => {
      const { state } = spec.given(history);

      expect(state.status).toBe(status === 'issued and handed over' ? 'issued' : status);
      expect(isActive(state)).toBe(active);
    });
  });

  describe('evolve', () => {
    it('starts with no certificate', () => {
      expect(spec.given([]).state).toEqual({ status: 'none' });
    });

    it('ignores events that arrive before the application', () => {
      expect(spec.given([companyPassed, issued]).state).toEqual({ status: 'none' });
    });

    it('keeps the applied facts in rejected and revoked states', () => {
      expect(spec.given(rejectedAtPoliceCheck).state).toMatchObject(appliedFacts);
      expect(spec.given(revokedCertificate).state).toMatchObject(appliedFacts);
    });
  });
});

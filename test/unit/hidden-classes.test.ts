import { setFlagsFromString } from 'node:v8';
import { certificateDecider, type CertificateEvent } from '../../src/domain/certificate/certificate';
import { trainingRecordDecider, type TrainingRecordEvent } from '../../src/domain/training/training-record';
import type { StoredEvent } from '../../src/application/ports/event-store';
import type { ReadDocument } from '../../src/application/ports/read-store';
import { certificatesProjection } from '../../src/projections/certificates';
import type { ProjectionContext } from '../../src/projections/projection';

/**
 * The states the hottest folds make share their hidden classes (V8's maps). In Node 20's V8 an object
 * made as `{ ...other, newField }` gets a map of its own every time: ~2 µs to make, and reads of it
 * miss V8's caches (docs/performance.md, item 67). Asked of V8 itself, not timed.
 */
setFlagsFromString('--allow-natives-syntax');
const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
  a: object,
  b: object,
) => boolean;

function statesAfterEach<E, S>(
  decider: { initialState: S; evolve(state: S, event: E): S },
  events: E[],
): S[] {
  const states: S[] = [];
  let state = decider.initialState;
  for (const event of events) states.push((state = decider.evolve(state, event)));
  return states;
}

/** Each step's states for many entities: step by step, all of one hidden class. */
function expectSharedHiddenClasses(statesByEntity: object[][]): void {
  const [first, ...others] = statesByEntity;
  for (const states of others) {
    states.forEach((state, step) => {
      expect({ step, shared: sameHiddenClass(state, first![step]!) }).toEqual({ step, shared: true });
    });
  }
}

const at = (type: string, data: Record<string, unknown>) => ({ type, data }) as never;

describe('hidden classes of the folded states', () => {
  it("are shared by every certificate's states along its whole lifecycle", () => {
    const lifecycle = (i: number): CertificateEvent[] => {
      const certificateId = `cert-${i}`;
      return [
        at('CertificateApplied', { certificateId, workerId: `w-${i}`, agencyId: 'a', district: '310101' }),
        at('CompanyCheckPassed', { certificateId }),
        at('PlatformVerificationPassed', { certificateId }),
        at('PoliceComparisonClear', { certificateId }),
        at('CertificateIssued', { certificateId, code: `CODE${i}` }),
        at('CertificateHandedOver', { certificateId, mode: 'individual' }),
        at('CertificateRevoked', { certificateId, reason: 'left the trade' }),
      ];
    };
    expectSharedHiddenClasses(
      Array.from({ length: 50 }, (_, i) => statesAfterEach(certificateDecider, lifecycle(i))),
    );
  });

  it('are shared by every completed training record', () => {
    const training = (i: number): TrainingRecordEvent[] => {
      const ref = { workerId: `w-${i}`, sessionId: 's-1', providerId: 'p-1' };
      return [
        at('ClassHoursCredited', { ...ref, hours: 40 }),
        at('ExamScoreCredited', { ...ref, score: 80 + (i % 10), passMark: 60, passed: true }),
        at('TrainingCompleted', { ...ref, classHours: 40, examScore: 80 + (i % 10) }),
      ];
    };
    // Only the completion adds a field; the credits' states (spread with the fields they had) are
    // cheap to make, if not always of one hidden class.
    expectSharedHiddenClasses(
      Array.from({ length: 50 }, (_, i) => statesAfterEach(trainingRecordDecider, training(i)).slice(2)),
    );
  });

  it('are one for every certificate detail document, at every step of its life', () => {
    const docs = new Map<string, ReadDocument>();
    const context: ProjectionContext = {
      get: async (_collection, id) => (docs.get(id) ?? null) as never,
      known: (_collection, id) => (docs.get(id) ?? null) as never,
      put: (_collection, id, doc) => void docs.set(id, doc),
      delete: (_collection, id) => void docs.delete(id),
    };
    const metadata = {
      occurredAt: '2026-01-01T08:00:00.000Z',
      actor: { id: 'u', role: 'platform_reviewer' as const },
      commandId: 'c',
      correlationId: 'c',
      causationId: 'c',
    };
    const stored = (type: string, data: Record<string, unknown>, revision: number): StoredEvent => ({
      id: `${type}-${revision}`,
      type,
      schemaVersion: 1,
      data,
      metadata,
      streamId: 's',
      revision,
      position: revision + 1,
    });
    const documentsAlong = (i: number): object[] => {
      const certificateId = `cert-${i}`;
      const steps: [string, Record<string, unknown>][] = [
        ['CertificateApplied', { certificateId, workerId: `w-${i}`, agencyId: 'a', district: '310101' }],
        ['CompanyCheckPassed', { certificateId }],
        ['PlatformVerificationPassed', { certificateId }],
        ['PoliceComparisonClear', { certificateId, reference: 'r' }],
        ['CertificateIssued', { certificateId, code: `CODE${i}`, workerId: `w-${i}` }],
        ['CertificateHandedOver', { certificateId, mode: 'individual' }],
        ['CertificateRevoked', { certificateId, reason: 'left the trade' }],
      ];
      return steps.map(([type, data], revision) => {
        void certificatesProjection.apply(stored(type, data, revision), context);
        return docs.get(certificateId)!;
      });
    };
    const byCertificate = Array.from({ length: 50 }, (_, i) => documentsAlong(i));
    expectSharedHiddenClasses(byCertificate);
    // Not a spread of the last one: the same hidden class whatever the step (item 99).
    const first = byCertificate[0]!;
    first.forEach((doc, step) => {
      expect({ step, shared: sameHiddenClass(doc, first[0]!) }).toEqual({ step, shared: true });
    });
  });
});

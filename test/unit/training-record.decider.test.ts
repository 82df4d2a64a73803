import type { Actor } from '../../src/domain/actor';
import {
  REQUIRED_CLASS_HOURS,
  trainingReadinessOf,
  trainingRecordDecider,
  type TrainingRecordCommand,
  type TrainingRecordEvent,
  type TrainingRecordState,
} from '../../src/domain/training/training-record';
import { DeciderSpecification } from './decider-specification';

const trainer: Actor = { id: 'trainer-1', role: 'training_provider', agencyId: 'provider-1' };
const otherTrainer: Actor = { id: 'trainer-2', role: 'training_provider', agencyId: 'provider-2' };
const now = '2026-11-24T08:00:00.000Z';
const workerId = 'worker-1';
const passMark = 60;

const spec = DeciderSpecification.for(trainingRecordDecider);

const creditHours = (
  sessionId: string,
  hours: number,
  actor: Actor = trainer,
  providerId = 'provider-1',
): TrainingRecordCommand => ({
  type: 'CreditClassHours',
  data: { workerId, sessionId, providerId, passMark, hours },
  metadata: { actor, now },
});
const creditScore = (sessionId: string, score: number, mark = passMark): TrainingRecordCommand => ({
  type: 'CreditExamScore',
  data: { workerId, sessionId, providerId: 'provider-1', passMark: mark, score },
  metadata: { actor: trainer, now },
});

const hoursCredited = (sessionId: string, hours: number): TrainingRecordEvent => ({
  type: 'ClassHoursCredited',
  data: { workerId, sessionId, providerId: 'provider-1', hours },
});
const scoreCredited = (sessionId: string, score: number, mark = passMark): TrainingRecordEvent => ({
  type: 'ExamScoreCredited',
  data: { workerId, sessionId, providerId: 'provider-1', score, passMark: mark, passed: score >= mark },
});
const completed = (sessionId: string, classHours: number, examScore: number): TrainingRecordEvent => ({
  type: 'TrainingCompleted',
  data: { workerId, sessionId, providerId: 'provider-1', classHours, examScore },
});

describe('training record decider (one worker’s training, read by the issue gate)', () => {
  it('requires 3 class hours', () => {
    expect(REQUIRED_CLASS_HOURS).toBe(3);
  });

  it('given nothing, when class hours are credited, then the worker is in training', () => {
    const state = spec
      .given([])
      .when(creditHours('s1', 2))
      .then([hoursCredited('s1', 2)]);

    expect(state).toEqual<TrainingRecordState>({
      status: 'in_training',
      workerId,
      sessions: { s1: { providerId: 'provider-1', hours: 2, score: null, passed: false } },
      classHours: 2,
    });
    expect(trainingReadinessOf(state)).toEqual({ completed: false, classHours: 2, examPassed: false });
  });

  it('3 class hours and then a passed exam complete the training in the same decision', () => {
    const state = spec
      .given([hoursCredited('s1', 3)])
      .when(creditScore('s1', 86))
      .then([scoreCredited('s1', 86), completed('s1', 3, 86)]);

    expect(state).toMatchObject({
      status: 'completed',
      classHours: 3,
      completion: { sessionId: 's1', providerId: 'provider-1', classHours: 3, examScore: 86 },
    });
    expect(trainingReadinessOf(state)).toEqual({ completed: true, classHours: 3, examPassed: true });
  });

  it('a passed exam and then the missing hours complete the training too (facts in any order)', () => {
    spec
      .given([hoursCredited('s1', 2), scoreCredited('s1', 75)])
      .when(creditHours('s2', 1))
      .then([hoursCredited('s2', 1), completed('s1', 3, 75)]);
  });

  it('hours from several sessions add up', () => {
    const state = spec
      .given([hoursCredited('s1', 1.5)])
      .when(creditHours('s2', 1))
      .then([hoursCredited('s2', 1)]);
    expect(state).toMatchObject({ status: 'in_training', classHours: 2.5 });
  });

  it('a failed exam does not complete the training, whatever the hours', () => {
    const state = spec
      .given([hoursCredited('s1', 3)])
      .when(creditScore('s1', 59))
      .then([scoreCredited('s1', 59)]);
    expect(trainingReadinessOf(state)).toEqual({ completed: false, classHours: 3, examPassed: false });
  });

  it('the pass mark comes with the command: 59 passes under a pass mark of 50', () => {
    spec
      .given([hoursCredited('s1', 3)])
      .when(creditScore('s1', 59, 50))
      .then([scoreCredited('s1', 59, 50), completed('s1', 3, 59)]);
  });

  it('a passed exam with too few hours is not yet complete', () => {
    const state = spec
      .given([hoursCredited('s1', 2)])
      .when(creditScore('s1', 90))
      .then([scoreCredited('s1', 90)]);
    expect(trainingReadinessOf(state)).toEqual({ completed: false, classHours: 2, examPassed: true });
  });

  it('a retake in another session can pass after a failed exam; the best passed exam counts', () => {
    spec
      .given([hoursCredited('s1', 3), scoreCredited('s1', 40)])
      .when(creditScore('s2', 70))
      .then([scoreCredited('s2', 70), completed('s2', 3, 70)]);
  });

  it('online progress credits only the new total of the session; the same or fewer hours decide nothing', () => {
    spec
      .given([hoursCredited('s1', 1)])
      .when(creditHours('s1', 2.5))
      .then([hoursCredited('s1', 2.5)]);
    spec
      .given([hoursCredited('s1', 2.5)])
      .when(creditHours('s1', 2.5))
      .thenNothingHappens();
    spec
      .given([hoursCredited('s1', 2.5)])
      .when(creditHours('s1', 1))
      .thenNothingHappens();
  });

  it('the same score credited again decides nothing (a retried batch completes without doubling)', () => {
    spec
      .given([hoursCredited('s1', 3), scoreCredited('s1', 86), completed('s1', 3, 86)])
      .when(creditScore('s1', 86))
      .thenNothingHappens();
  });

  it('another score for the same session is a conflict: scores are final', () => {
    spec
      .given([hoursCredited('s1', 3), scoreCredited('s1', 50)])
      .when(creditScore('s1', 65))
      .thenFails('conflict', 'worker worker-1 already has the score 50 in training session s1');
  });

  it('completion is recorded once: more hours afterwards change the hours, not the completion', () => {
    const state = spec
      .given([hoursCredited('s1', 3), scoreCredited('s1', 86), completed('s1', 3, 86)])
      .when(creditHours('s2', 2))
      .then([hoursCredited('s2', 2)]);
    expect(state).toMatchObject({
      status: 'completed',
      classHours: 5,
      completion: { sessionId: 's1', classHours: 3, examScore: 86 },
    });
  });

  it('only the session’s own provider credits a record', () => {
    spec
      .given([])
      .when(creditHours('s1', 3, otherTrainer))
      .thenFails('forbidden', 'only training provider provider-1 may do this');
  });

  it('keeps every session as a record of its own, whatever its id, and earlier states as they were', () => {
    const first = trainingRecordDecider.evolve(trainingRecordDecider.initialState, hoursCredited('s1', 1));
    const state = [hoursCredited('__proto__', 2), hoursCredited('constructor', 1)].reduce(
      trainingRecordDecider.evolve,
      first,
    );
    if (state.status === 'none') throw new Error('no record');
    expect(Object.keys(state.sessions)).toEqual(['s1', '__proto__', 'constructor']);
    expect(Object.getPrototypeOf(state.sessions)).toBe(Object.prototype);
    expect(state.classHours).toBe(4);
    // Each change makes a new set of sessions: the state it started from is unchanged.
    expect(first).toMatchObject({ classHours: 1, sessions: { s1: { hours: 1 } } });
    expect(Object.keys(first.status === 'none' ? {} : first.sessions)).toEqual(['s1']);
  });

  it('given nothing, the worker is not ready', () => {
    expect(trainingReadinessOf(trainingRecordDecider.initialState)).toEqual({
      completed: false,
      classHours: 0,
      examPassed: false,
    });
  });
});

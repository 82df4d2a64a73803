import type { Actor } from '../../src/domain/actor';
import type { CommandMetadata } from '../../src/domain/decider';
import {
  trainingSessionDecider,
  type TrainingSessionCommand,
  type TrainingSessionEvent,
  type TrainingSessionState,
} from '../../src/domain/training/training-session';
import { parseClassHours, parseExamScore, parseHoursDone } from '../../src/domain/training/training-values';
import { DeciderSpecification } from './decider-specification';

const trainer: Actor = { id: 'trainer-1', role: 'training_provider', agencyId: 'provider-1' };
const otherTrainer: Actor = { id: 'trainer-2', role: 'training_provider', agencyId: 'provider-2' };
const operator: Actor = { id: 'op-1', role: 'agency_operator', agencyId: 'provider-1' };
const startsAt = '2026-11-24T01:00:00.000Z';
const endsAt = '2026-11-24T04:00:00.000Z';
const during = '2026-11-24T02:00:00.000Z';
const before = '2026-11-23T12:00:00.000Z';
const sessionId = 'session-1';
const by = (actor: Actor = trainer, now = during): CommandMetadata => ({ actor, now });

const spec = DeciderSpecification.for(trainingSessionDecider);

const schedule = (
  overrides: Partial<{ mode: 'offline' | 'online'; place: string; startsAt: string; endsAt: string }> = {},
  actor: Actor = trainer,
): TrainingSessionCommand => {
  const mode = overrides.mode ?? 'offline';
  const place = 'place' in overrides ? overrides.place : mode === 'offline' ? '徐汇区培训教室' : undefined;
  return {
    type: 'ScheduleTrainingSession',
    data: {
      sessionId,
      providerId: 'provider-1',
      mode,
      classHours: parseClassHours(3),
      teacher: '王芳',
      ...(place !== undefined ? { place } : {}),
      startsAt: overrides.startsAt ?? startsAt,
      endsAt: overrides.endsAt ?? endsAt,
    },
    metadata: by(actor, before),
  };
};
const attendance = (workerIds: string[], actor: Actor = trainer, now = during): TrainingSessionCommand => ({
  type: 'RecordAttendance',
  data: { sessionId, workerIds },
  metadata: by(actor, now),
});
const progress = (workerId: string, hoursDone: number, now = during): TrainingSessionCommand => ({
  type: 'RecordProgress',
  data: { sessionId, workerId, hoursDone: parseHoursDone(hoursDone) },
  metadata: by(trainer, now),
});
const supervision = (
  attendees = 2,
  identityChecked = 2,
  note?: string,
  now = during,
): TrainingSessionCommand => ({
  type: 'RecordSupervision',
  data: {
    sessionId,
    attendees,
    identityChecked,
    inspector: '李督导',
    method: 'on_site',
    ...(note ? { note } : {}),
  },
  metadata: by(trainer, now),
});
const examScores = (
  scores: [string, number][],
  actor: Actor = trainer,
  now = during,
): TrainingSessionCommand => ({
  type: 'RecordExamScores',
  data: {
    sessionId,
    scores: scores.map(([workerId, score]) => ({ workerId, score: parseExamScore(score) })),
  },
  metadata: by(actor, now),
});

const offlineScheduled: TrainingSessionEvent = {
  type: 'TrainingSessionScheduled',
  data: {
    sessionId,
    providerId: 'provider-1',
    mode: 'offline',
    classHours: 3,
    teacher: '王芳',
    place: '徐汇区培训教室',
    startsAt,
    endsAt,
  },
};
const onlineScheduled: TrainingSessionEvent = {
  type: 'TrainingSessionScheduled',
  data: {
    sessionId,
    providerId: 'provider-1',
    mode: 'online',
    classHours: 3,
    teacher: '王芳',
    startsAt,
    endsAt,
  },
};
const attended = (...workerIds: string[]): TrainingSessionEvent => ({
  type: 'AttendanceRecorded',
  data: { sessionId, workerIds },
});
const progressed = (workerId: string, hoursDone: number): TrainingSessionEvent => ({
  type: 'ProgressRecorded',
  data: { sessionId, workerId, hoursDone },
});
const scored = (...scores: [string, number][]): TrainingSessionEvent => ({
  type: 'ExamScoresRecorded',
  data: { sessionId, scores: scores.map(([workerId, score]) => ({ workerId, score })) },
});
const sheet = {
  startsAt,
  endsAt,
  place: '徐汇区培训教室',
  teacher: '王芳',
  attendees: 2,
  identityChecked: 2,
  inspector: '李督导',
  method: 'on_site' as const,
};
const supervised: TrainingSessionEvent = { type: 'SupervisionRecorded', data: { sessionId, sheet } };

describe('training session decider', () => {
  describe('ScheduleTrainingSession', () => {
    it('given nothing, when the provider schedules an offline session, then it is scheduled with its place', () => {
      const state = spec.given([]).when(schedule()).then([offlineScheduled]);

      expect(state).toEqual<TrainingSessionState>({
        status: 'scheduled',
        sessionId,
        providerId: 'provider-1',
        mode: 'offline',
        classHours: 3,
        teacher: '王芳',
        place: '徐汇区培训教室',
        startsAt,
        endsAt,
        attendees: [],
        progress: {},
        scores: {},
        supervision: null,
      });
    });

    it('given nothing, when the provider schedules an online session without a place, then it is scheduled', () => {
      const state = spec
        .given([])
        .when(schedule({ mode: 'online' }))
        .then([onlineScheduled]);

      expect(state).toMatchObject({ status: 'scheduled', mode: 'online', place: null });
    });

    it('an offline session needs a place', () => {
      const error = spec
        .given([])
        .when(schedule({ mode: 'offline', place: undefined }))
        .thenFails('invalid', 'place is required for an offline session');
      expect(error.field).toBe('place');
    });

    it.each([
      ['ends before it starts', { startsAt: endsAt, endsAt: startsAt }],
      ['ends as it starts', { startsAt, endsAt: startsAt }],
    ])('a session that %s is refused naming endsAt', (_case, times) => {
      const error = spec
        .given([])
        .when(schedule(times))
        .thenFails('invalid', 'endsAt must be after startsAt');
      expect(error.field).toBe('endsAt');
    });

    it('another provider, or another role, may not schedule the provider’s sessions', () => {
      spec
        .given([])
        .when(schedule({}, otherTrainer))
        .thenFails('forbidden', 'only training provider provider-1 may do this');
      spec.given([]).when(schedule({}, operator)).thenFails('forbidden', 'only training provider provider-1');
    });

    it('a session that exists cannot be scheduled again', () => {
      spec
        .given([offlineScheduled])
        .when(schedule())
        .thenFails('conflict', 'training session session-1 already exists');
    });
  });

  describe('RecordAttendance (offline)', () => {
    it('records the workers who attended', () => {
      const state = spec
        .given([offlineScheduled])
        .when(attendance(['w1', 'w2']))
        .then([attended('w1', 'w2')]);
      expect(state).toMatchObject({ attendees: ['w1', 'w2'] });
    });

    it('records only the workers not yet recorded, once each', () => {
      spec
        .given([offlineScheduled, attended('w1')])
        .when(attendance(['w1', 'w2', 'w2', 'w3']))
        .then([attended('w2', 'w3')]);
    });

    it('recording the same attendance again decides nothing (re-sent lists are safe)', () => {
      spec
        .given([offlineScheduled, attended('w1', 'w2')])
        .when(attendance(['w2', 'w1']))
        .thenNothingHappens();
    });

    it('is refused before the session starts', () => {
      spec
        .given([offlineScheduled])
        .when(attendance(['w1'], trainer, before))
        .thenFails('conflict', 'attendance cannot be recorded before it starts');
    });

    it('is refused for an online session, which records progress instead', () => {
      spec
        .given([onlineScheduled])
        .when(attendance(['w1']))
        .thenFails('conflict', 'attendance is only for offline sessions (record progress instead)');
    });

    it('is refused to another provider', () => {
      spec
        .given([offlineScheduled])
        .when(attendance(['w1'], otherTrainer))
        .thenFails('forbidden', 'only training provider provider-1 may do this');
    });
  });

  describe('RecordProgress (online)', () => {
    it('records a worker’s hours so far, and later more', () => {
      let state = spec
        .given([onlineScheduled])
        .when(progress('w1', 1.5))
        .then([progressed('w1', 1.5)]);
      expect(state).toMatchObject({ progress: { w1: 1.5 } });

      state = spec
        .given([onlineScheduled, progressed('w1', 1.5)])
        .when(progress('w1', 3))
        .then([progressed('w1', 3)]);
      expect(state).toMatchObject({ progress: { w1: 3 } });
    });

    it('the same progress again decides nothing', () => {
      spec
        .given([onlineScheduled, progressed('w1', 2)])
        .when(progress('w1', 2))
        .thenNothingHappens();
    });

    it('progress cannot go back', () => {
      spec
        .given([onlineScheduled, progressed('w1', 2)])
        .when(progress('w1', 1))
        .thenFails('conflict', 'progress cannot go back to 1');
    });

    it('progress cannot exceed the session’s class hours', () => {
      const error = spec
        .given([onlineScheduled])
        .when(progress('w1', 3.5))
        .thenFails('invalid', "hoursDone must be at most the session's 3 class hours");
      expect(error.field).toBe('hoursDone');
    });

    it('is refused for an offline session and before the session starts', () => {
      spec
        .given([offlineScheduled])
        .when(progress('w1', 1))
        .thenFails('conflict', 'progress is only for online sessions (record attendance instead)');
      spec
        .given([onlineScheduled])
        .when(progress('w1', 1, before))
        .thenFails('conflict', 'cannot be recorded before it starts');
    });

    it('a worker id that names an Object.prototype member is just another worker', () => {
      spec
        .given([onlineScheduled])
        .when(progress('constructor', 1))
        .then([progressed('constructor', 1)]);
    });
  });

  describe('RecordSupervision (offline)', () => {
    it('records the supervision sheet with the session’s time, place and teacher', () => {
      const state = spec
        .given([offlineScheduled, attended('w1', 'w2')])
        .when(supervision())
        .then([supervised]);
      expect(state).toMatchObject({ supervision: sheet });
    });

    it('keeps a note', () => {
      spec
        .given([offlineScheduled])
        .when(supervision(2, 1, 'one attendee had no ID card'))
        .then([
          {
            type: 'SupervisionRecorded',
            data: { sessionId, sheet: { ...sheet, identityChecked: 1, note: 'one attendee had no ID card' } },
          },
        ]);
    });

    it('the same sheet again decides nothing; a different one is a conflict', () => {
      spec.given([offlineScheduled, supervised]).when(supervision()).thenNothingHappens();
      spec
        .given([offlineScheduled, supervised])
        .when(supervision(3, 3))
        .thenFails('conflict', 'training session session-1 already has a supervision sheet');
    });

    it('more identities checked than attendees is refused naming identityChecked', () => {
      const error = spec
        .given([offlineScheduled])
        .when(supervision(2, 3))
        .thenFails('invalid', 'identityChecked cannot exceed attendees (2)');
      expect(error.field).toBe('identityChecked');
    });

    it('is refused for an online session (supervised through its progress records) and before the start', () => {
      spec
        .given([onlineScheduled])
        .when(supervision())
        .thenFails('conflict', 'a supervision sheet is only for offline sessions');
      spec
        .given([offlineScheduled])
        .when(supervision(2, 2, undefined, before))
        .thenFails('conflict', 'cannot be recorded before it starts');
    });
  });

  describe('RecordExamScores', () => {
    it('records scores of workers who attended (offline)', () => {
      const state = spec
        .given([offlineScheduled, attended('w1', 'w2')])
        .when(
          examScores([
            ['w1', 86],
            ['w2', 40],
          ]),
        )
        .then([scored(['w1', 86], ['w2', 40])]);
      expect(state).toMatchObject({ scores: { w1: 86, w2: 40 } });
    });

    it('records scores of workers with progress (online)', () => {
      spec
        .given([onlineScheduled, progressed('w1', 3)])
        .when(examScores([['w1', 90]]))
        .then([scored(['w1', 90])]);
    });

    it('a worker who did not attend has no score: a conflict naming the worker', () => {
      spec
        .given([offlineScheduled, attended('w1')])
        .when(
          examScores([
            ['w1', 80],
            ['w9', 80],
          ]),
        )
        .thenFails(
          'conflict',
          'worker w9 did not attend training session session-1; record attendance first',
        );
      spec
        .given([onlineScheduled])
        .when(examScores([['w9', 80]]))
        .thenFails('conflict', 'worker w9 has no progress in training session session-1');
    });

    it('scores are final: the same score again decides nothing, another score is a conflict', () => {
      spec
        .given([offlineScheduled, attended('w1', 'w2'), scored(['w1', 86])])
        .when(
          examScores([
            ['w1', 86],
            ['w2', 70],
          ]),
        )
        .then([scored(['w2', 70])]);
      spec
        .given([offlineScheduled, attended('w1'), scored(['w1', 86])])
        .when(examScores([['w1', 86]]))
        .thenNothingHappens();
      spec
        .given([offlineScheduled, attended('w1'), scored(['w1', 55])])
        .when(examScores([['w1', 60]]))
        .thenFails('conflict', 'worker w1 already has the score 55 in training session session-1');
    });

    it('one request giving a worker two different scores is refused naming scores', () => {
      const error = spec
        .given([offlineScheduled, attended('w1')])
        .when(
          examScores([
            ['w1', 60],
            ['w1', 61],
          ]),
        )
        .thenFails('invalid', 'scores gives worker w1 two different scores (60 and 61)');
      expect(error.field).toBe('scores');
    });

    it('is refused before the session starts and to another provider', () => {
      spec
        .given([offlineScheduled, attended('w1')])
        .when(examScores([['w1', 60]], trainer, before))
        .thenFails('conflict', 'exam scores cannot be recorded before it starts');
      spec
        .given([offlineScheduled, attended('w1')])
        .when(examScores([['w1', 60]], otherTrainer))
        .thenFails('forbidden', 'only training provider provider-1 may do this');
    });
  });

  describe('on a session that does not exist', () => {
    it.each<[string, TrainingSessionCommand]>([
      ['attendance', attendance(['w1'])],
      ['progress', progress('w1', 1)],
      ['supervision', supervision()],
      ['exam scores', examScores([['w1', 60]])],
    ])('%s is a conflict', (_what, command) => {
      spec.given([]).when(command).thenFails('conflict', 'training session session-1 does not exist');
    });
  });
});

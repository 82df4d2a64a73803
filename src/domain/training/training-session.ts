import type { Actor } from '../actor';
import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { conflict, forbidden, invalidField, type DomainError } from '../errors';
import type { ClassHours, ExamScore } from './training-values';

export type TrainingMode = 'offline' | 'online';
export type SupervisionMethod = 'on_site' | 'video';

type SessionCommandOf<Type extends string, Data> = Command<Type, Data & { sessionId: string }>;

export type ScheduleTrainingSession = SessionCommandOf<
  'ScheduleTrainingSession',
  {
    providerId: string;
    mode: TrainingMode;
    classHours: ClassHours;
    teacher: string;
    place?: string;
    /** ISO-8601 instants, normalised to UTC by the caller. */
    startsAt: string;
    endsAt: string;
  }
>;
export type RecordAttendance = SessionCommandOf<'RecordAttendance', { workerIds: readonly string[] }>;
export type RecordProgress = SessionCommandOf<'RecordProgress', { workerId: string; hoursDone: ClassHours }>;
export type RecordSupervision = SessionCommandOf<
  'RecordSupervision',
  { attendees: number; identityChecked: number; inspector: string; method: SupervisionMethod; note?: string }
>;
export type RecordExamScores = SessionCommandOf<
  'RecordExamScores',
  { scores: readonly { workerId: string; score: ExamScore }[] }
>;

export type TrainingSessionCommand =
  ScheduleTrainingSession | RecordAttendance | RecordProgress | RecordSupervision | RecordExamScores;

type Ref = { sessionId: string };

export interface SessionFacts {
  readonly sessionId: string;
  readonly providerId: string;
  readonly mode: TrainingMode;
  readonly classHours: number;
  readonly teacher: string;
  readonly place: string | null;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** The supervision sheet (督导单) of an offline class: time, place and teacher come from the session. */
export interface SupervisionSheet {
  readonly startsAt: string;
  readonly endsAt: string;
  readonly place: string | null;
  readonly teacher: string;
  readonly attendees: number;
  readonly identityChecked: number;
  readonly inspector: string;
  readonly method: SupervisionMethod;
  readonly note?: string;
}

export type TrainingSessionScheduled = DomainEvent<
  'TrainingSessionScheduled',
  Ref & {
    providerId: string;
    mode: TrainingMode;
    classHours: number;
    teacher: string;
    place?: string;
    startsAt: string;
    endsAt: string;
  }
>;
export type AttendanceRecorded = DomainEvent<'AttendanceRecorded', Ref & { workerIds: string[] }>;
export type ProgressRecorded = DomainEvent<'ProgressRecorded', Ref & { workerId: string; hoursDone: number }>;
export type SupervisionRecorded = DomainEvent<'SupervisionRecorded', Ref & { sheet: SupervisionSheet }>;
export type ExamScoresRecorded = DomainEvent<
  'ExamScoresRecorded',
  Ref & { scores: { workerId: string; score: number }[] }
>;

export type TrainingSessionEvent =
  TrainingSessionScheduled | AttendanceRecorded | ProgressRecorded | SupervisionRecorded | ExamScoresRecorded;

export const TRAINING_SESSION_EVENT_TYPES: ReadonlySet<string> = new Set<TrainingSessionEvent['type']>([
  'TrainingSessionScheduled',
  'AttendanceRecorded',
  'ProgressRecorded',
  'SupervisionRecorded',
  'ExamScoresRecorded',
]);

export type TrainingSessionState =
  | { status: 'none' }
  | (SessionFacts & {
      status: 'scheduled';
      /** Offline: the workers who attended, in the order recorded. */
      attendees: readonly string[];
      /** Online: hours done so far, per worker. */
      progress: Readonly<Record<string, number>>;
      scores: Readonly<Record<string, number>>;
      supervision: SupervisionSheet | null;
    });

export type ScheduledSession = Extract<TrainingSessionState, { status: 'scheduled' }>;

/** Only the provider that runs the session records anything about it. */
export function refuseUnlessOwnProvider(actor: Actor, providerId: string): DomainError | null {
  if (actor.role === 'training_provider' && actor.agencyId === providerId) return null;
  return forbidden(`only training provider ${providerId} may do this`);
}

/** Offline: the worker attended. Online: the worker has a progress record. */
export function tookPart(session: ScheduledSession, workerId: string): boolean {
  return session.mode === 'offline'
    ? session.attendees.includes(workerId)
    : Object.hasOwn(session.progress, workerId);
}

/** A per-worker value, never one inherited from Object.prototype (a worker id could be 'constructor'). */
function own(record: Readonly<Record<string, number>>, workerId: string): number | undefined {
  return Object.hasOwn(record, workerId) ? record[workerId] : undefined;
}

function notStartedYet(session: ScheduledSession, now: string, what: string): DomainError | null {
  if (now >= session.startsAt) return null;
  return conflict(
    `training session ${session.sessionId} starts at ${session.startsAt}; ${what} cannot be recorded before it starts`,
  );
}

function wrongMode(session: ScheduledSession, needed: TrainingMode, what: string): DomainError | null {
  if (session.mode === needed) return null;
  const instead = session.mode === 'online' ? 'record progress instead' : 'record attendance instead';
  return conflict(
    `training session ${session.sessionId} is ${session.mode}; ${what} is only for ${needed} sessions (${instead})`,
  );
}

function sameSheet(a: SupervisionSheet, b: SupervisionSheet): boolean {
  return (
    a.attendees === b.attendees &&
    a.identityChecked === b.identityChecked &&
    a.inspector === b.inspector &&
    a.method === b.method &&
    (a.note ?? '') === (b.note ?? '')
  );
}

function decideOnSession(
  command: Exclude<TrainingSessionCommand, ScheduleTrainingSession>,
  session: ScheduledSession,
): Decision<TrainingSessionEvent> {
  const { sessionId } = session;
  const { now } = command.metadata;
  switch (command.type) {
    case 'RecordAttendance': {
      const refusal =
        wrongMode(session, 'offline', 'attendance') ?? notStartedYet(session, now, 'attendance');
      if (refusal) return refusal;
      const workerIds = [...new Set(command.data.workerIds)].filter((id) => !session.attendees.includes(id));
      if (workerIds.length === 0) return [];
      return [{ type: 'AttendanceRecorded', data: { sessionId, workerIds } }];
    }
    case 'RecordProgress': {
      const refusal = wrongMode(session, 'online', 'progress') ?? notStartedYet(session, now, 'progress');
      if (refusal) return refusal;
      const { workerId, hoursDone } = command.data;
      if (hoursDone > session.classHours) {
        return invalidField('hoursDone', `must be at most the session's ${session.classHours} class hours`);
      }
      const before = own(session.progress, workerId);
      if (before !== undefined && hoursDone < before) {
        return conflict(
          `worker ${workerId} has already done ${before} hours of training session ${sessionId}; progress cannot go back to ${hoursDone}`,
        );
      }
      if (before === hoursDone) return [];
      return [{ type: 'ProgressRecorded', data: { sessionId, workerId, hoursDone } }];
    }
    case 'RecordSupervision': {
      const refusal =
        wrongMode(session, 'offline', 'a supervision sheet') ??
        notStartedYet(session, now, 'a supervision sheet');
      if (refusal) return refusal;
      const { attendees, identityChecked, inspector, method, note } = command.data;
      if (identityChecked > attendees) {
        return invalidField('identityChecked', `cannot exceed attendees (${attendees})`);
      }
      const sheet: SupervisionSheet = {
        startsAt: session.startsAt,
        endsAt: session.endsAt,
        place: session.place,
        teacher: session.teacher,
        attendees,
        identityChecked,
        inspector,
        method,
        ...(note ? { note } : {}),
      };
      if (session.supervision) {
        if (sameSheet(session.supervision, sheet)) return [];
        return conflict(`training session ${sessionId} already has a supervision sheet`);
      }
      return [{ type: 'SupervisionRecorded', data: { sessionId, sheet } }];
    }
    case 'RecordExamScores': {
      const refusal = notStartedYet(session, now, 'exam scores');
      if (refusal) return refusal;
      const requested = new Map<string, number>();
      for (const { workerId, score } of command.data.scores) {
        const earlier = requested.get(workerId);
        if (earlier !== undefined && earlier !== score) {
          return invalidField(
            'scores',
            `gives worker ${workerId} two different scores (${earlier} and ${score})`,
          );
        }
        requested.set(workerId, score);
      }
      const scores: { workerId: string; score: number }[] = [];
      for (const [workerId, score] of requested) {
        if (!tookPart(session, workerId)) {
          return conflict(
            session.mode === 'offline'
              ? `worker ${workerId} did not attend training session ${sessionId}; record attendance first`
              : `worker ${workerId} has no progress in training session ${sessionId}; record progress first`,
          );
        }
        const recorded = own(session.scores, workerId);
        if (recorded === undefined) scores.push({ workerId, score });
        else if (recorded !== score) {
          return conflict(
            `worker ${workerId} already has the score ${recorded} in training session ${sessionId}; scores are final (a retake is a new session)`,
          );
        }
      }
      if (scores.length === 0) return [];
      return [{ type: 'ExamScoresRecorded', data: { sessionId, scores } }];
    }
    default:
      return assertNever(command);
  }
}

/** One training class (培训班), offline with attendance and a supervision sheet, or online with progress. */
export const trainingSessionDecider: Decider<
  TrainingSessionCommand,
  TrainingSessionEvent,
  TrainingSessionState
> = {
  initialState: { status: 'none' },

  decide(command: TrainingSessionCommand, state: TrainingSessionState): Decision<TrainingSessionEvent> {
    const { actor } = command.metadata;
    if (command.type === 'ScheduleTrainingSession') {
      const refusal = refuseUnlessOwnProvider(actor, command.data.providerId);
      if (refusal) return refusal;
      if (state.status !== 'none')
        return conflict(`training session ${command.data.sessionId} already exists`);
      const { sessionId, providerId, mode, classHours, teacher, place, startsAt, endsAt } = command.data;
      if (mode === 'offline' && !place) return invalidField('place', 'is required for an offline session');
      if (endsAt <= startsAt) return invalidField('endsAt', 'must be after startsAt');
      return [
        {
          type: 'TrainingSessionScheduled',
          data: {
            sessionId,
            providerId,
            mode,
            classHours,
            teacher,
            ...(place ? { place } : {}),
            startsAt,
            endsAt,
          },
        },
      ];
    }
    if (state.status === 'none') return conflict(`training session ${command.data.sessionId} does not exist`);
    const refusal = refuseUnlessOwnProvider(actor, state.providerId);
    if (refusal) return refusal;
    return decideOnSession(command, state);
  },

  evolve(state: TrainingSessionState, event: TrainingSessionEvent): TrainingSessionState {
    if (event.type === 'TrainingSessionScheduled') {
      const { place, ...facts } = event.data;
      return {
        status: 'scheduled',
        ...facts,
        place: place ?? null,
        attendees: [],
        progress: {},
        scores: {},
        supervision: null,
      };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'AttendanceRecorded':
        return { ...state, attendees: [...state.attendees, ...event.data.workerIds] };
      case 'ProgressRecorded':
        return { ...state, progress: { ...state.progress, [event.data.workerId]: event.data.hoursDone } };
      case 'SupervisionRecorded':
        return { ...state, supervision: event.data.sheet };
      case 'ExamScoresRecorded': {
        // fromEntries defines own properties, so no worker id can reach Object.prototype.
        const scores = Object.fromEntries([
          ...Object.entries(state.scores),
          ...event.data.scores.map(({ workerId, score }) => [workerId, score] as const),
        ]);
        return { ...state, scores };
      }
      default:
        return assertNever(event);
    }
  },
};

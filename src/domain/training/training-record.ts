import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { conflict, type DomainError } from '../errors';
import { refuseUnlessOwnProvider } from './training-session';

/** DESIGN §4.3: training is at least 3 class hours, including the exam, and a passed exam. */
export const REQUIRED_CLASS_HOURS = 3;

/**
 * The per-worker side of training, kept on the worker's own `trainingrecord-<workerId>` stream so the
 * issue gate decides on write-side facts. Sessions credit it as they record attendance, progress and
 * exam scores. The pass mark comes in with each command (from configuration); whether a score passed
 * is decided when it is credited, and "training completed" is recorded once, when the last missing
 * fact arrives. Completion is never withdrawn: a later change of the pass mark does not reach back.
 */
interface CreditFacts {
  workerId: string;
  sessionId: string;
  providerId: string;
  /** The pass mark in force (0–100), from configuration. */
  passMark: number;
}

export type CreditClassHours = Command<
  'CreditClassHours',
  CreditFacts & {
    /** The worker's hours in this session so far (offline: the session's class hours). */
    hours: number;
  }
>;
export type CreditExamScore = Command<'CreditExamScore', CreditFacts & { score: number }>;
export type TrainingRecordCommand = CreditClassHours | CreditExamScore;

type Ref = { workerId: string; sessionId: string; providerId: string };
export type ClassHoursCredited = DomainEvent<'ClassHoursCredited', Ref & { hours: number }>;
export type ExamScoreCredited = DomainEvent<
  'ExamScoreCredited',
  Ref & { score: number; passMark: number; passed: boolean }
>;
/** The training that counts for the certificate: attributed to the provider of the passed exam. */
export type TrainingCompleted = DomainEvent<
  'TrainingCompleted',
  Ref & { classHours: number; examScore: number }
>;
export type TrainingRecordEvent = ClassHoursCredited | ExamScoreCredited | TrainingCompleted;

export const TRAINING_RECORD_EVENT_TYPES: ReadonlySet<string> = new Set<TrainingRecordEvent['type']>([
  'ClassHoursCredited',
  'ExamScoreCredited',
  'TrainingCompleted',
]);

export interface SessionCredit {
  readonly providerId: string;
  readonly hours: number;
  readonly score: number | null;
  readonly passed: boolean;
}

export interface Completion {
  readonly sessionId: string;
  readonly providerId: string;
  readonly classHours: number;
  readonly examScore: number;
}

interface RecordFacts {
  readonly workerId: string;
  readonly sessions: Readonly<Record<string, SessionCredit>>;
  /** Class hours over all sessions. */
  readonly classHours: number;
}

export type TrainingRecordState =
  | { status: 'none' }
  | (RecordFacts & { status: 'in_training' })
  | (RecordFacts & { status: 'completed'; completion: Completion });

/** What the issue gate needs to know about the worker's training. */
export interface TrainingReadiness {
  readonly completed: boolean;
  readonly classHours: number;
  readonly examPassed: boolean;
}

export function trainingReadinessOf(state: TrainingRecordState): TrainingReadiness {
  if (state.status === 'none') return { completed: false, classHours: 0, examPassed: false };
  return {
    completed: state.status === 'completed',
    classHours: state.classHours,
    examPassed: Object.values(state.sessions).some((session) => session.passed),
  };
}

const noCredit = (providerId: string): SessionCredit => ({
  providerId,
  hours: 0,
  score: null,
  passed: false,
});

function sessionOf(state: TrainingRecordState, sessionId: string, providerId: string): SessionCredit {
  if (state.status === 'none' || !Object.hasOwn(state.sessions, sessionId)) return noCredit(providerId);
  return state.sessions[sessionId]!;
}

/** The passed exam with the best score (the earliest credited on a tie). */
function bestPassedExam(sessions: Readonly<Record<string, SessionCredit>>) {
  let best: { sessionId: string; providerId: string; score: number } | null = null;
  for (const [sessionId, session] of Object.entries(sessions)) {
    if (session.passed && session.score !== null && (best === null || session.score > best.score)) {
      best = { sessionId, providerId: session.providerId, score: session.score };
    }
  }
  return best;
}

/** Adds TrainingCompleted when the new events complete a record that was not complete before. */
function withCompletion(
  state: TrainingRecordState,
  events: TrainingRecordEvent[],
): TrainingRecordEvent[] | DomainError {
  if (events.length === 0 || state.status === 'completed') return events;
  const after = events.reduce(trainingRecordDecider.evolve, state);
  if (after.status === 'none' || after.classHours < REQUIRED_CLASS_HOURS) return events;
  const exam = bestPassedExam(after.sessions);
  if (!exam) return events;
  return [
    ...events,
    {
      type: 'TrainingCompleted',
      data: {
        workerId: after.workerId,
        sessionId: exam.sessionId,
        providerId: exam.providerId,
        classHours: after.classHours,
        examScore: exam.score,
      },
    },
  ];
}

function credit(
  state: TrainingRecordState,
  command: TrainingRecordCommand,
): TrainingRecordEvent[] | DomainError {
  const { workerId, sessionId, providerId, passMark } = command.data;
  const session = sessionOf(state, sessionId, providerId);
  switch (command.type) {
    case 'CreditClassHours': {
      const { hours } = command.data;
      if (hours <= session.hours) return [];
      return [{ type: 'ClassHoursCredited', data: { workerId, sessionId, providerId, hours } }];
    }
    case 'CreditExamScore': {
      const { score } = command.data;
      if (session.score === score) return [];
      if (session.score !== null) {
        return conflict(
          `worker ${workerId} already has the score ${session.score} in training session ${sessionId}`,
        );
      }
      const passed = score >= passMark;
      return [
        { type: 'ExamScoreCredited', data: { workerId, sessionId, providerId, score, passMark, passed } },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const trainingRecordDecider: Decider<TrainingRecordCommand, TrainingRecordEvent, TrainingRecordState> =
  {
    initialState: { status: 'none' },

    decide(command: TrainingRecordCommand, state: TrainingRecordState): Decision<TrainingRecordEvent> {
      const refusal = refuseUnlessOwnProvider(command.metadata.actor, command.data.providerId);
      if (refusal) return refusal;
      const events = credit(state, command);
      return Array.isArray(events) ? withCompletion(state, events) : events;
    },

    evolve(state: TrainingRecordState, event: TrainingRecordEvent): TrainingRecordState {
      const { workerId, sessionId, providerId } = event.data;
      const record: TrainingRecordState =
        state.status === 'none' ? { status: 'in_training', workerId, sessions: {}, classHours: 0 } : state;
      const session = sessionOf(record, sessionId, providerId);
      const withSession = (next: SessionCredit): TrainingRecordState => {
        // A spread and a computed key define own properties, so no session id (not even
        // '__proto__') can reach Object.prototype.
        const sessions = { ...record.sessions, [sessionId]: next };
        let classHours = 0;
        for (const credit of Object.values(sessions)) classHours += credit.hours;
        return { ...record, sessions, classHours };
      };
      switch (event.type) {
        case 'ClassHoursCredited':
          return withSession({ ...session, hours: event.data.hours });
        case 'ExamScoreCredited':
          return withSession({ ...session, score: event.data.score, passed: event.data.passed });
        case 'TrainingCompleted': {
          if (record.status === 'completed') return record;
          const { classHours, examScore } = event.data;
          // Field by field: `{ ...record, completion }` would get a hidden class of its own in V8
          // (docs/performance.md, item 67).
          return {
            status: 'completed',
            workerId: record.workerId,
            sessions: record.sessions,
            classHours: record.classHours,
            completion: { sessionId, providerId, classHours, examScore },
          };
        }
        default:
          return assertNever(event);
      }
    },
  };

import type { StoredEvent } from '../application/ports/event-store';
import {
  TRAINING_RECORD_EVENT_TYPES,
  trainingRecordDecider,
  type Completion,
  type SessionCredit,
  type TrainingRecordEvent,
  type TrainingRecordState,
} from '../domain/training/training-record';
import { shanghaiDate } from '../domain/shanghai-time';
import type { ProjectionContext, Recorded } from './projection';
import { documentProjection, withDocument } from './projection';
import { TRAINING_PROVIDERS, type TrainingProviderDoc } from './training-providers';

/** One worker's training so far, keyed by worker id (ids, hours and scores: no personal data). */
export interface TrainingRecordDoc {
  [key: string]: unknown;
  id: string;
  status: 'in_training' | 'completed';
  classHours: number;
  sessions: Record<string, SessionCredit>;
  completion: (Completion & { completedAt: string }) | null;
  updatedAt: string;
}

export const TRAINING_RECORDS = 'training_records';

function stateOf(doc: TrainingRecordDoc | null): TrainingRecordState {
  if (!doc) return trainingRecordDecider.initialState;
  // One literal each: adding fields after a spread gives each object a hidden class of its own in V8
  // (docs/performance.md, item 67).
  const { id: workerId, sessions, classHours } = doc;
  if (doc.status === 'completed' && doc.completion) {
    const { completedAt: _at, ...completion } = doc.completion;
    return { status: 'completed', workerId, sessions, classHours, completion };
  }
  return { status: 'in_training', workerId, sessions, classHours };
}

export const trainingRecordsProjection = documentProjection<TrainingRecordDoc>({
  name: 'training-records',
  // Read by worker id only.
  collection: { name: TRAINING_RECORDS, indexes: [] },
  eventTypes: [...TRAINING_RECORD_EVENT_TYPES],
  idOf: (event) => (event.data as { workerId: string }).workerId,
  evolve: (doc, stored: StoredEvent) => {
    const event = stored as Recorded<TrainingRecordEvent>;
    const state = trainingRecordDecider.evolve(stateOf(doc), event);
    if (state.status === 'none') return doc;
    const at = event.metadata.occurredAt;
    return {
      id: state.workerId,
      status: state.status,
      classHours: state.classHours,
      // The decider's own: it makes a new one for each change and never changes one it made.
      sessions: state.sessions,
      completion:
        state.status === 'completed'
          ? {
              sessionId: state.completion.sessionId,
              providerId: state.completion.providerId,
              classHours: state.completion.classHours,
              examScore: state.completion.examScore,
              completedAt: doc?.completion?.completedAt ?? at,
            }
          : null,
      updatedAt: at,
    };
  },
});

/** What a citizen sees of the holder's training: done or not, hours, provider — never scores. */
export interface PublicTraining {
  completed: boolean;
  classHours: number;
  provider: string | null;
  completedOn: string | null;
}

/**
 * Calls `then` with the training part of a public certificate view (null when the worker has no
 * training record): at once when the context knows the documents it rests on, otherwise once the
 * store has answered (see `withDocument`).
 */
export function withPublicTraining<R>(
  context: ProjectionContext,
  workerId: string,
  then: (training: PublicTraining | null) => R | Promise<R>,
): R | Promise<R> {
  return withDocument<TrainingRecordDoc, R>(context, TRAINING_RECORDS, workerId, (record) => {
    const completion = record?.completion;
    if (!record || !completion) return then(record ? publicTraining(record, null) : null);
    return withDocument<TrainingProviderDoc, R>(
      context,
      TRAINING_PROVIDERS,
      completion.providerId,
      (provider) => then(publicTraining(record, provider)),
    );
  });
}

function publicTraining(record: TrainingRecordDoc, provider: TrainingProviderDoc | null): PublicTraining {
  const completion = record.completion;
  return {
    completed: record.status === 'completed',
    // Hours at completion: what the certificate rests on (later sessions do not change the public view).
    classHours: completion ? completion.classHours : record.classHours,
    provider: provider?.name ?? null,
    completedOn: completion ? shanghaiDate(completion.completedAt) : null,
  };
}

import type { StoredEvent } from '../application/ports/event-store';
import {
  TRAINING_SESSION_EVENT_TYPES,
  trainingSessionDecider,
  type SupervisionSheet,
  type TrainingMode,
  type TrainingSessionEvent,
  type TrainingSessionState,
} from '../domain/training/training-session';
import { documentProjection, type Recorded } from './projection';

/** One training session as its provider and the regulator see it (ids only: no personal data). */
export interface TrainingSessionDoc {
  [key: string]: unknown;
  id: string;
  providerId: string;
  mode: TrainingMode;
  classHours: number;
  teacher: string;
  place: string | null;
  startsAt: string;
  endsAt: string;
  /** Offline: the workers who attended. */
  attendees: readonly string[];
  /** Online: hours done per worker. */
  progress: Readonly<Record<string, number>>;
  scores: Readonly<Record<string, number>>;
  supervision: (SupervisionSheet & { recordedAt: string; recordedBy: string }) | null;
  scheduledAt: string;
  updatedAt: string;
  revision: number;
  position: number;
}

export const TRAINING_SESSIONS = 'training_sessions';

/** The doc keeps the decider's own state, so the read model follows the write model's rules exactly. */
function stateOf(doc: TrainingSessionDoc | null): TrainingSessionState {
  if (!doc) return trainingSessionDecider.initialState;
  const { id, providerId, mode, classHours, teacher, place, startsAt, endsAt, attendees, progress, scores } =
    doc;
  const supervision = doc.supervision
    ? (({ recordedAt: _at, recordedBy: _by, ...sheet }) => sheet)(doc.supervision)
    : null;
  return {
    status: 'scheduled',
    sessionId: id,
    providerId,
    mode,
    classHours,
    teacher,
    place,
    startsAt,
    endsAt,
    attendees,
    progress,
    scores,
    supervision,
  };
}

export const trainingSessionsProjection = documentProjection<TrainingSessionDoc>({
  name: 'training-sessions',
  // Read by id only.
  collection: { name: TRAINING_SESSIONS, indexes: [] },
  eventTypes: [...TRAINING_SESSION_EVENT_TYPES],
  idOf: (event) => (event.data as { sessionId: string }).sessionId,
  evolve: (doc, stored: StoredEvent) => {
    const event = stored as Recorded<TrainingSessionEvent>;
    const state = trainingSessionDecider.evolve(stateOf(doc), event);
    if (state.status === 'none') return doc;
    const at = event.metadata.occurredAt;
    const supervision =
      event.type === 'SupervisionRecorded'
        ? { ...event.data.sheet, recordedAt: at, recordedBy: event.metadata.actor.id }
        : (doc?.supervision ?? null);
    return {
      id: state.sessionId,
      providerId: state.providerId,
      mode: state.mode,
      classHours: state.classHours,
      teacher: state.teacher,
      place: state.place,
      startsAt: state.startsAt,
      endsAt: state.endsAt,
      // The decider's own, as in the training records: it makes a new one for each change and never
      // changes one it made, so a copy here only doubled the work (a session's scores are ~40 ids).
      attendees: state.attendees,
      progress: state.progress,
      scores: state.scores,
      supervision,
      scheduledAt: doc?.scheduledAt ?? at,
      updatedAt: at,
      revision: event.revision,
      position: event.position,
    };
  },
});

import type { StoredEvent } from '../../../src/application/ports/event-store';
import type { ReadStore } from '../../../src/application/ports/read-store';
import { BatchContext } from '../../../src/projections/batch-context';
import { DocumentCache } from '../../../src/projections/document-cache';
import {
  TRAINING_SESSIONS,
  trainingSessionsProjection,
  type TrainingSessionDoc,
} from '../../../src/projections/training-sessions';
import { eventToAppend } from '../../support/events';

const noStore = { get: () => Promise.reject(new Error('the store was read')) } as unknown as ReadStore;

let position = 0;
function event(type: string, data: Record<string, unknown>, occurredAt: string): StoredEvent {
  position += 1;
  const actor = { id: 'trainer-1', role: 'training_provider', agencyId: 'provider-1' } as const;
  const recorded = eventToAppend(type, data, {
    id: `e-${position}`,
    commandId: `c-${position}`,
    actor,
    occurredAt,
  });
  return { ...recorded, streamId: 'training-session-s-1', revision: position - 1, position };
}

describe('the training sessions projection', () => {
  it("folds a session's attendance and scores, and leaves each earlier version as it was", () => {
    const cache = new DocumentCache(100);
    cache.startEmpty();
    const context = new BatchContext(noStore, cache);
    const versions: { doc: TrainingSessionDoc; copy: TrainingSessionDoc }[] = [];
    const apply = (recorded: StoredEvent) => {
      expect(trainingSessionsProjection.apply(recorded, context)).toBeUndefined();
      const doc = context.known<TrainingSessionDoc>(TRAINING_SESSIONS, 's-1')!;
      versions.push({ doc, copy: structuredClone(doc) });
    };
    apply(
      event(
        'TrainingSessionScheduled',
        {
          sessionId: 's-1',
          providerId: 'provider-1',
          mode: 'offline',
          classHours: 3,
          teacher: '王芳',
          place: '徐汇区培训教室',
          startsAt: '2026-11-24T01:00:00.000Z',
          endsAt: '2026-11-24T04:00:00.000Z',
        },
        '2026-11-23T12:00:00.000Z',
      ),
    );
    apply(
      event(
        'AttendanceRecorded',
        { sessionId: 's-1', workerIds: ['w-1', 'w-2'] },
        '2026-11-24T02:00:00.000Z',
      ),
    );
    apply(event('AttendanceRecorded', { sessionId: 's-1', workerIds: ['w-3'] }, '2026-11-24T02:10:00.000Z'));
    apply(
      event(
        'ExamScoresRecorded',
        { sessionId: 's-1', scores: [{ workerId: 'w-1', score: 80 }] },
        '2026-11-24T05:00:00.000Z',
      ),
    );
    apply(
      event(
        'ExamScoresRecorded',
        { sessionId: 's-1', scores: [{ workerId: 'w-2', score: 55 }] },
        '2026-11-24T05:10:00.000Z',
      ),
    );

    const last = versions[versions.length - 1]!.doc;
    expect(last).toMatchObject({
      id: 's-1',
      attendees: ['w-1', 'w-2', 'w-3'],
      scores: { 'w-1': 80, 'w-2': 55 },
      progress: {},
      scheduledAt: '2026-11-23T12:00:00.000Z',
      updatedAt: '2026-11-24T05:10:00.000Z',
    });
    // Versions share what did not change (no copies), so none may have been changed in place.
    for (const { doc, copy } of versions) expect(doc).toEqual(copy);
    expect(versions[1]!.doc.attendees).toEqual(['w-1', 'w-2']);
    expect(versions[3]!.doc.scores).toEqual({ 'w-1': 80 });
  });
});

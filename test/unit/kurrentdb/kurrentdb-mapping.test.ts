import {
  ANY,
  CancelledError,
  DeadlineExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  type JSONRecordedEvent,
  type RecordedEvent,
} from '@kurrent/kurrentdb-client';
import { randomUUID } from 'node:crypto';
import {
  type EventToAppend,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '../../../src/application/ports/event-store';
import {
  MAX_ENCODABLE_POSITION,
  decodePosition,
  encodePosition,
  freshAppendRevision,
  fromRecordedEvent,
  isOurEvent,
  isStreamNotFound,
  isTransientError,
  isWrongExpectedVersion,
  laterPosition,
  positionOf,
  toEventData,
  toRevision,
  toStreamState,
  toWrongExpectedRevision,
} from '../../../src/infrastructure/kurrentdb/kurrentdb-mapping';

const envelope = (overrides: Partial<EventToAppend> = {}): EventToAppend => ({
  id: randomUUID(),
  type: 'CertificateIssued',
  schemaVersion: 2,
  data: {
    code: 'SH-2024-000001',
    holder: { name: '张三丰', phoneLast4: '5678' },
    classHours: 3.5,
    flags: [true, false, null],
    empty: {},
  },
  metadata: {
    occurredAt: '2024-05-01T08:30:00.000Z',
    actor: { id: 'reviewer-1', role: 'platform_reviewer' },
    commandId: 'cmd-1',
    correlationId: 'corr-1',
    causationId: 'cause-1',
  },
  ...overrides,
});

/** What the client gives back for an event we appended: JSON parsed, bigint revision, position. */
function recorded(event: EventToAppend, streamId: string, revision: bigint, commit?: bigint): RecordedEvent {
  const data = toEventData(event);
  if (data.contentType !== 'application/json') throw new Error('expected a JSON event');
  // The server stores bytes; the client parses them again.
  const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    streamId,
    id: data.id,
    isJson: true,
    revision,
    type: data.type,
    created: new Date('2024-05-01T08:30:01.000Z'),
    data: roundTrip(data.data),
    metadata: roundTrip(data.metadata),
    ...(commit === undefined ? {} : { position: { commit, prepare: commit } }),
  } as JSONRecordedEvent;
}

describe('KurrentDB positions', () => {
  it('encodes commit positions as numbers, exactly, up to 2^53 - 1', () => {
    expect(encodePosition(1n)).toBe(1);
    expect(encodePosition(123_456_789_012n)).toBe(123_456_789_012);
    expect(encodePosition(MAX_ENCODABLE_POSITION)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses positions a number cannot hold exactly, and 0 (no event is at 0)', () => {
    expect(() => encodePosition(MAX_ENCODABLE_POSITION + 1n)).toThrow(RangeError);
    expect(() => encodePosition(0n)).toThrow(RangeError);
    expect(() => encodePosition(-1n)).toThrow(RangeError);
  });

  it('decodes 0 as the start of the log and other numbers as an event position (commit = prepare)', () => {
    expect(decodePosition(0)).toBe(START);
    expect(decodePosition(4242)).toEqual({ commit: 4242n, prepare: 4242n });
    expect(decodePosition(Number.MAX_SAFE_INTEGER)).toEqual({
      commit: MAX_ENCODABLE_POSITION,
      prepare: MAX_ENCODABLE_POSITION,
    });
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => decodePosition(bad)).toThrow(RangeError);
    }
  });

  it('round-trips every position through decode and encode', () => {
    for (const position of [1, 2, 1_000_000, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      const decoded = decodePosition(position);
      if (decoded === START) throw new Error('unexpected start');
      expect(encodePosition(decoded.commit)).toBe(position);
    }
  });

  it("reads an event's position, and treats a missing or 'no position' marker as unknown", () => {
    expect(positionOf({ position: { commit: 77n, prepare: 77n } })).toBe(77);
    expect(positionOf({})).toBeNull();
    expect(positionOf({ position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } })).toBeNull();
    expect(positionOf({ position: { commit: -1n, prepare: -1n } })).toBeNull();
  });

  it('orders positions as the server does: commit first, then prepare', () => {
    const a = { commit: 10n, prepare: 10n };
    const b = { commit: 12n, prepare: 0n };
    const c = { commit: 12n, prepare: 12n };
    expect(laterPosition(a, b)).toBe(b);
    expect(laterPosition(b, a)).toBe(b);
    expect(laterPosition(b, c)).toBe(c);
    expect(laterPosition(null, a)).toBe(a);
    expect(laterPosition(a, null)).toBe(a);
    expect(laterPosition(null, null)).toBeNull();
  });
});

describe('KurrentDB expected states', () => {
  it('always passes an explicit expected state: NO_STREAM, STREAM_EXISTS, ANY or the bigint revision', () => {
    expect(toStreamState('no_stream')).toBe(NO_STREAM);
    expect(toStreamState('stream_exists')).toBe(STREAM_EXISTS);
    expect(toStreamState('any')).toBe(ANY);
    expect(toStreamState(0)).toBe(0n);
    expect(toStreamState(41)).toBe(41n);
  });

  it('refuses a negative or fractional revision', () => {
    expect(() => toStreamState(-1)).toThrow('invalid expected revision');
    expect(() => toStreamState(1.5)).toThrow('invalid expected revision');
  });

  it('knows the revision a fresh append must end at, when the expected state names one', () => {
    expect(freshAppendRevision('no_stream', 3)).toBe(2);
    expect(freshAppendRevision(4, 2)).toBe(6);
    expect(freshAppendRevision('any', 2)).toBeNull();
    expect(freshAppendRevision('stream_exists', 2)).toBeNull();
  });

  it('converts revisions to numbers, refusing ones a number cannot hold', () => {
    expect(toRevision(0n)).toBe(0);
    expect(toRevision(99n)).toBe(99);
    expect(() => toRevision(MAX_ENCODABLE_POSITION + 1n)).toThrow(RangeError);
  });
});

describe('KurrentDB event mapping', () => {
  it('passes the event id through (for server-side dedup) and writes a JSON event of the same type', () => {
    const event = envelope();
    const data = toEventData(event);
    expect(data).toMatchObject({ id: event.id, type: event.type, contentType: 'application/json' });
    expect(data.data).toEqual(event.data);
  });

  it("adds the schema version and the server's $correlationId and $causationId to the metadata", () => {
    const event = envelope();
    expect(toEventData(event).metadata).toEqual({
      ...event.metadata,
      schemaVersion: 2,
      $correlationId: 'corr-1',
      $causationId: 'cause-1',
    });
  });

  it('refuses ids KurrentDB cannot store (not UUIDs) and metadata using its reserved keys', () => {
    expect(() => toEventData(envelope({ id: 'event-1' }))).toThrow('is not a UUID');
    const reserved = envelope();
    expect(() =>
      toEventData({ ...reserved, metadata: { ...reserved.metadata, $correlationId: 'x' } as never }),
    ).toThrow('reserved');
  });

  it('gives back exactly the envelope that was appended, with revision and position', () => {
    const event = envelope();

    const stored = fromRecordedEvent(recorded(event, 'certificate-1', 4n, 9_000_001n));

    const expected: StoredEvent = { ...event, streamId: 'certificate-1', revision: 4, position: 9_000_001 };
    expect(stored).toEqual(expected);
    expect(Object.keys(stored.metadata)).not.toContain('$correlationId');
    expect(Object.keys(stored.metadata)).not.toContain('schemaVersion');
  });

  it('falls back to a known position, then 0, when the server gives none', () => {
    const event = envelope();
    expect(fromRecordedEvent(recorded(event, 's-1', 0n), 55).position).toBe(55);
    expect(fromRecordedEvent(recorded(event, 's-1', 0n)).position).toBe(0);
  });

  it("recognises only this service's events: JSON with the envelope's metadata", () => {
    const ours = recorded(envelope(), 's-1', 0n, 10n);
    expect(isOurEvent(ours)).toBe(true);
    expect(isOurEvent({ ...ours, metadata: undefined } as RecordedEvent)).toBe(false);
    expect(isOurEvent({ ...ours, metadata: { $correlationId: 'x' } } as RecordedEvent)).toBe(false);
    expect(
      isOurEvent({ ...ours, isJson: false, data: new Uint8Array([1, 2]) } as unknown as RecordedEvent),
    ).toBe(false);
    expect(() => fromRecordedEvent({ ...ours, metadata: { other: 1 } } as RecordedEvent)).toThrow(
      'was not written by this service',
    );
  });
});

describe('KurrentDB error mapping', () => {
  it("maps the client's wrong-expected-version error to the port's conflict, with the actual revision", () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'worker-1',
      expected: 0n,
      current: 3n,
    });
    expect(isWrongExpectedVersion(error)).toBe(true);

    const mapped = toWrongExpectedRevision('worker-1', 0, error);

    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: 'worker-1', expected: 0, actual: 3 });
  });

  it('reports a missing stream as actual revision -1, keeping our expected state', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'worker-2',
      expected: STREAM_EXISTS,
      current: NO_STREAM,
    });
    expect(toWrongExpectedRevision('worker-2', 'stream_exists', error)).toMatchObject({
      streamId: 'worker-2',
      expected: 'stream_exists',
      actual: -1,
    });
  });

  it('treats cancelled, unavailable, deadline and not-leader errors as transient, others not', () => {
    expect(isTransientError(new CancelledError())).toBe(true);
    expect(isTransientError(new UnavailableError())).toBe(true);
    expect(isTransientError(new DeadlineExceededError())).toBe(true);
    expect(isTransientError({ type: 'not-leader' })).toBe(true);
    expect(isTransientError({ code: 14, message: 'UNAVAILABLE: No connection established' })).toBe(true);

    expect(isTransientError(new UnknownError())).toBe(false);
    expect(
      isTransientError(
        new WrongExpectedVersionError(undefined, { streamName: 's', expected: ANY, current: 1n }),
      ),
    ).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });

  it('recognises a missing stream, so reading it answers an empty list', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'worker-9'))).toBe(true);
    expect(isStreamNotFound(new UnavailableError())).toBe(false);
  });
});

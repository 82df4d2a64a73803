import type { EventMetadata } from '../../application/ports/event-store';
import type { Actor } from '../../domain/actor';

type StoredMetadata = { -readonly [K in keyof EventMetadata]?: EventMetadata[K] };

/**
 * The positional form: `[occurredAt, actor id, actor role, actor agencyId or null, commandId]`, then
 * `correlationId, causationId` only when either differs from the command id (a command that no
 * other caused has all three the same: nearly every one).
 */
type Positional =
  | [string, string, string, string | null, string]
  | [string, string, string, string | null, string, string, string];

const METADATA_KEYS = ['occurredAt', 'actor', 'commandId', 'correlationId', 'causationId'];
const ACTOR_KEYS = ['id', 'role'];
const AGENCY_ACTOR_KEYS = ['id', 'role', 'agencyId'];

/**
 * An event's metadata as the event file stores it: a JSON array of its fields in a fixed order
 * (Positional), without the names that every event repeated, nor the correlation and causation ids
 * where they are the command's own. At Shanghai scale the metadata was a third of the log
 * (~200 of an event's ~540 bytes); the array makes the whole log 12 % smaller, and reading and
 * decoding all of it ~10 % faster.
 *
 * Metadata the array has no place for (another field, another order of fields, a value that is not a
 * string) is stored as the JSON object, without the ids equal to the command id, as files written
 * before the array were (earlier still, with every id): each form reads back as it was appended.
 */
export function encodeMetadata(metadata: EventMetadata): string {
  const { occurredAt, actor, commandId, correlationId, causationId } = metadata;
  if (positional(metadata)) {
    const agencyId = actor.agencyId ?? null;
    const stored: Positional =
      correlationId === commandId && causationId === commandId
        ? [occurredAt, actor.id, actor.role, agencyId, commandId]
        : [occurredAt, actor.id, actor.role, agencyId, commandId, correlationId, causationId];
    return JSON.stringify(stored);
  }
  // The rest-spread keeps any other field, and a `toJSON` with it.
  const { correlationId: _correlation, causationId: _causation, ...rest } = metadata;
  const stored: StoredMetadata = rest;
  if (correlationId !== commandId) stored.correlationId = correlationId;
  if (causationId !== commandId) stored.causationId = causationId;
  return JSON.stringify(stored);
}

export function decodeMetadata(text: string): EventMetadata {
  // '[': the positional form; '{': the object form.
  if (text.charCodeAt(0) === 0x5b) {
    const [occurredAt, id, role, agencyId, commandId, correlationId, causationId] = JSON.parse(
      text,
    ) as Positional;
    const actor = (agencyId === null ? { id, role } : { id, role, agencyId }) as Actor;
    return {
      occurredAt,
      actor,
      commandId,
      correlationId: correlationId ?? commandId,
      causationId: causationId ?? commandId,
    };
  }
  const stored = JSON.parse(text) as StoredMetadata;
  stored.correlationId ??= stored.commandId;
  stored.causationId ??= stored.commandId;
  return stored as EventMetadata;
}

/** Whether the positional form reads back exactly this metadata (its fields, their order included). */
function positional(metadata: EventMetadata): boolean {
  const { actor } = metadata;
  return (
    sameKeys(metadata, METADATA_KEYS) &&
    typeof actor === 'object' &&
    actor !== null &&
    (sameKeys(actor, ACTOR_KEYS) ||
      (sameKeys(actor, AGENCY_ACTOR_KEYS) && typeof actor.agencyId === 'string')) &&
    typeof metadata.occurredAt === 'string' &&
    typeof actor.id === 'string' &&
    typeof actor.role === 'string' &&
    typeof metadata.commandId === 'string' &&
    typeof metadata.correlationId === 'string' &&
    typeof metadata.causationId === 'string'
  );
}

function sameKeys(object: object, keys: readonly string[]): boolean {
  const own = Object.keys(object);
  return own.length === keys.length && own.every((key, index) => key === keys[index]);
}

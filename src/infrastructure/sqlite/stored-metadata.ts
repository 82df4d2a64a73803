import type { EventMetadata } from '../../application/ports/event-store';

type StoredMetadata = { -readonly [K in keyof EventMetadata]?: EventMetadata[K] };

/**
 * An event's metadata as the event file stores it: JSON, without the correlation and causation ids
 * where they are the command's own id (a command that no other caused: nearly all of them), which
 * reading puts back. At Shanghai scale that is ~100 of an event's ~590 bytes, written by every
 * append and read by every replay. Files written before store every id, and read the same.
 */
export function encodeMetadata(metadata: EventMetadata): string {
  const { correlationId, causationId, ...rest } = metadata;
  const stored: StoredMetadata = rest;
  if (correlationId !== metadata.commandId) stored.correlationId = correlationId;
  if (causationId !== metadata.commandId) stored.causationId = causationId;
  return JSON.stringify(stored);
}

export function decodeMetadata(text: string): EventMetadata {
  const stored = JSON.parse(text) as StoredMetadata;
  stored.correlationId ??= stored.commandId;
  stored.causationId ??= stored.commandId;
  return stored as EventMetadata;
}

import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../../src/application/ports/event-store';
import type { Actor } from '../../src/domain/actor';

export interface TestEventOptions {
  /** Default: a fresh random id. */
  readonly id?: string;
  /** Also the correlation and causation id. Default 'c'. */
  readonly commandId?: string;
  readonly actor?: Actor;
  readonly occurredAt?: string;
}

/**
 * An event to append straight to a store in a test of the stores, the projections or their
 * threads (no command decided it): schema version 1 and one command's metadata.
 */
export function eventToAppend(
  type: string,
  data: Readonly<Record<string, unknown>> = {},
  options: TestEventOptions = {},
): EventToAppend {
  const commandId = options.commandId ?? 'c';
  return {
    id: options.id ?? randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      occurredAt: options.occurredAt ?? '2024-05-01T08:30:00.000Z',
      actor: options.actor ?? { id: 'operator-1', role: 'agency_operator' },
      commandId,
      correlationId: commandId,
      causationId: commandId,
    },
  };
}

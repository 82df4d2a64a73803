import type { Actor } from '../../domain/actor';

export const PERSONAL_FIELDS = ['name', 'idNumber', 'phone'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];

/** One disclosure of a worker's unmasked personal data. Never holds the data itself. */
export interface AccessLogEntry {
  /** ISO-8601 instant of the read. */
  readonly at: string;
  readonly workerId: string;
  readonly actor: Actor;
  /** The route (method and path pattern) that returned the data, e.g. `GET /api/v1/workers/:id`. */
  readonly route: string;
  /** Which fields were shown in clear. */
  readonly fields: readonly PersonalField[];
  readonly correlationId?: string;
  /** For roles outside the default disclosure policy: the scope check the caller made. */
  readonly grantedBy?: string;
}

export interface AccessLogPage {
  readonly total: number;
  readonly items: (AccessLogEntry & { readonly seq: number })[];
}

/** Append-only record of who read whose personal data; kept apart from the rebuildable read models. */
export interface AccessLog {
  /** Records every entry, all or none, durably, before the data is returned. */
  record(entries: readonly AccessLogEntry[]): Promise<void>;
  /** One worker's entries in the order they were recorded. */
  forWorker(workerId: string, page: { limit: number; offset: number }): Promise<AccessLogPage>;
  close(): Promise<void>;
}

export const ACCESS_LOG = Symbol('AccessLog');

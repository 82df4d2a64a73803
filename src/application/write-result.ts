/** What every write answers (DESIGN §6): the entity acted on, its revision, the global position. */
export interface WriteResult {
  readonly id: string;
  readonly revision: number;
  readonly position: number;
  /** True when the write created the entity (HTTP 201). */
  readonly created: boolean;
  readonly [extra: string]: unknown;
}

import Database from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';

/**
 * What a store's main thread (writer-thread.ts) and its writer thread (writer-thread-loop.ts) say to
 * each other. Only plain data crosses: errors go as descriptions and are rebuilt with their classes on
 * the main thread.
 */

export type ToWriterThread<Unit> =
  /**
   * Units of work that arrived together: each all or nothing, in this order, in one transaction with
   * any other groups the thread has received by then; answered by one message of its own.
   */
  | { readonly type: 'group'; readonly units: readonly Unit[] }
  /**
   * From the thread's owner only: serve another store over this port (the port transferred with the
   * message), speaking this same protocol, its groups committed in the same transactions as the
   * owner's. A client's 'close' ends only its port.
   */
  | { readonly type: 'connect'; readonly port: MessagePort }
  /** Close the connection and answer 'closed'; nothing follows. */
  | { readonly type: 'close' };

export type UnitAnswer<Value> =
  { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: ErrorDescription };

export type FromWriterThread<Value> =
  /** The write connection is open: from now on a thread that dies may have committed a group. */
  | { readonly type: 'ready' }
  /** The group's transaction committed; one answer per unit, in the group's order (groups answered in order). */
  | { readonly type: 'committed'; readonly outcomes: readonly UnitAnswer<Value>[] }
  /** The group's transaction failed and was rolled back: nothing of the group is stored. */
  | { readonly type: 'failed'; readonly error: ErrorDescription }
  | { readonly type: 'closed' };

export type ErrorDescription =
  /** One of the store's own errors (see ErrorCodec): its kind and its constructor's arguments. */
  | { readonly kind: 'known'; readonly name: string; readonly args: readonly unknown[] }
  | {
      readonly kind: 'sqlite' | 'other';
      readonly name: string;
      readonly message: string;
      readonly code?: string;
      readonly stack?: string;
    };

/** An error class a store's callers tell apart (e.g. a wrong expected revision), sent as plain data. */
export interface KnownError {
  /** The constructor's arguments, or undefined when `error` is not of this kind. */
  describe(error: unknown): readonly unknown[] | undefined;
  rebuild(args: readonly unknown[]): Error;
}

export interface ErrorCodec {
  /** On the writer thread: an error as plain data. */
  describe(error: unknown): ErrorDescription;
  /** On the main thread: the error again, with its class (and for SQLite errors their code). */
  rebuild(description: ErrorDescription): Error;
}

export function errorCodec(known: Readonly<Record<string, KnownError>>): ErrorCodec {
  return {
    describe(error) {
      for (const [name, kind] of Object.entries(known)) {
        const args = kind.describe(error);
        if (args !== undefined) return { kind: 'known', name, args };
      }
      if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error) };
      const code = (error as { code?: unknown }).code;
      return {
        kind: error instanceof Database.SqliteError ? 'sqlite' : 'other',
        name: error.name,
        message: error.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(error.stack !== undefined ? { stack: error.stack } : {}),
      };
    },
    rebuild(description) {
      if (description.kind === 'known') {
        const kind = known[description.name];
        if (kind) return kind.rebuild(description.args);
        return new Error(`${description.name} (${JSON.stringify(description.args)})`);
      }
      const error =
        description.kind === 'sqlite'
          ? new Database.SqliteError(description.message, description.code ?? 'SQLITE_ERROR')
          : Object.assign(new Error(description.message), description.code ? { code: description.code } : {});
      error.name = description.name;
      // Where it happened: on the writer thread.
      if (description.stack !== undefined) error.stack = description.stack;
      return error;
    },
  };
}

import { Long, type AnyBulkWriteOperation, type Document, type Filter, type Sort } from 'mongodb';
import type { FilterValue, FindOptions, ReadDocument } from '../../application/ports/read-store';

/**
 * Pure translations between the ReadStore port and MongoDB documents, kept apart from the adapter so
 * they are tested without a server.
 *
 * A read-model document is stored as `{ _id: id, d: <the document>, p: <position> }`: the document
 * sits under `d`, so none of its own fields can clash with `_id` or with `p`, the global position of
 * the last batch that wrote it. Collections are versioned by a generation number
 * (`certificates__v3`), so a rebuild can fill the next generation while reads use the current one.
 */

export interface StoredDocument {
  _id: string;
  d: ReadDocument;
  p?: Long | number;
}

const NAME = /^[a-z][a-z0-9_]*$/i;
/** MongoDB namespaces are limited; leave room for the database name and the generation suffix. */
const MAX_COLLECTION_NAME = 80;

export const META_COLLECTION = '_meta';
export const LEASES_COLLECTION = '_leases';
export const GENERATION_DOC_ID = 'generation';

/** Validates a collection name: a programming error when bad, never user input. */
export function checkCollectionName(name: string): string {
  if (
    typeof name !== 'string' ||
    !NAME.test(name) ||
    name.includes('__') ||
    name.length > MAX_COLLECTION_NAME
  ) {
    throw new Error(
      `Invalid collection name ${JSON.stringify(name)}: must match ${String(NAME)}, ` +
        `not contain "__", and have at most ${MAX_COLLECTION_NAME} characters`,
    );
  }
  return name;
}

export function checkFieldName(field: string): string {
  if (typeof field !== 'string' || !NAME.test(field)) {
    throw new Error(`Invalid field name ${JSON.stringify(field)}: must match ${String(NAME)}`);
  }
  return field;
}

export function checkGeneration(generation: number): number {
  if (!Number.isSafeInteger(generation) || generation < 1) {
    throw new Error(`Invalid read-model generation ${String(generation)}`);
  }
  return generation;
}

/** The MongoDB collection holding a logical collection in one generation. */
export function physicalName(collection: string, generation: number): string {
  return `${checkCollectionName(collection)}__v${checkGeneration(generation)}`;
}

export function checkpointsCollection(generation: number): string {
  return `_checkpoints__v${checkGeneration(generation)}`;
}

/** The generation a physical collection name belongs to, or null for names that are not versioned. */
export function generationOf(physical: string): number | null {
  const match = /__v(\d+)$/.exec(physical);
  return match ? Number(match[1]) : null;
}

/** Positions are stored as 64-bit integers, so they compare numerically in queries and `$max`. */
export function toStoredPosition(position: number): Long {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new Error(`Invalid position ${String(position)} (must be a non-negative whole number)`);
  }
  return Long.fromNumber(position);
}

export function fromStoredPosition(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (Long.isLong(value)) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`Unexpected stored position ${String(value)}`);
}

/**
 * Read models are JSON documents: the same value the SQLite store would give back (undefined fields
 * dropped, dates as ISO strings), whatever the projection handed in.
 */
export function normalizeDocument(doc: ReadDocument): ReadDocument {
  const json = JSON.stringify(doc);
  if (json === undefined || !json.startsWith('{')) throw new Error('A read-model document must be an object');
  return JSON.parse(json) as ReadDocument;
}

function checkFilterValue(field: string, value: FilterValue): FilterValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Error(`Invalid filter value for field ${JSON.stringify(field)}: ${String(value)}`);
}

/** `{field: value}` equality on the document's top-level fields; null also matches a missing field. */
export function toQuery(filter: Readonly<Record<string, FilterValue>>): Filter<StoredDocument> {
  const query: Record<string, FilterValue> = {};
  for (const [field, value] of Object.entries(filter)) {
    query[`d.${checkFieldName(field)}`] = checkFilterValue(field, value);
  }
  return query as Filter<StoredDocument>;
}

/** Sorts by the field, then by id, both in the requested direction; by id alone by default. */
export function toSort(options: FindOptions): Sort {
  const direction = options.direction ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') {
    throw new Error(`Invalid sort direction ${JSON.stringify(direction)}`);
  }
  const dir = direction === 'asc' ? 1 : -1;
  if (options.orderBy === undefined || options.orderBy === 'id') return { _id: dir };
  return { [`d.${checkFieldName(options.orderBy)}`]: dir, _id: dir };
}

export function checkCount(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Invalid ${name}: ${String(value)} (must be a non-negative integer)`);
  }
  return value;
}

/** One index per declared field, named after it so creating it again is a no-op. */
export function indexSpecs(fields: readonly string[]): { key: Record<string, 1>; name: string }[] {
  return fields.map((field) => ({
    key: { [`d.${checkFieldName(field)}`]: 1 },
    name: `${INDEX_PREFIX}${field}`,
  }));
}

const INDEX_PREFIX = 'd_';

/** Whether an index is one `indexSpecs` made (on a document field), not MongoDB's own `_id_`. */
export function isDocumentIndexName(name: string): boolean {
  return name.startsWith(INDEX_PREFIX);
}

/**
 * The write of one document. With the batch's position it is conditional: a document that already
 * reflects a later position is left as it is, so replaying an older batch changes nothing. Without
 * one (a commit carrying no checkpoint) it is written as given.
 */
export function documentWrite(
  id: string,
  doc: ReadDocument | null,
  position: number | null,
): AnyBulkWriteOperation<StoredDocument> {
  if (typeof id !== 'string') throw new Error(`Invalid document id ${String(id)}`);
  if (doc === null) {
    const filter: Document = { _id: id };
    if (position !== null)
      filter.$or = [{ p: { $exists: false } }, { p: { $lte: toStoredPosition(position) } }];
    return { deleteOne: { filter: filter as Filter<StoredDocument> } };
  }
  const d = normalizeDocument(doc);
  if (position === null) {
    return { updateOne: { filter: { _id: id }, update: { $set: { d } }, upsert: true } };
  }
  const p = toStoredPosition(position);
  return {
    updateOne: {
      filter: { _id: id },
      update: [
        {
          $replaceWith: {
            $cond: [
              { $lte: [{ $ifNull: ['$p', -1] }, { $literal: p }] },
              // $literal: a string in the document that starts with '$' stays a string.
              { $literal: { _id: id, d, p } },
              '$$ROOT',
            ],
          },
        },
      ],
      upsert: true,
    },
  };
}

/** A checkpoint only moves forward: an older batch replayed after a newer one leaves it alone. */
export function checkpointWrite(position: number): Document[] {
  return [{ $set: { position: { $max: ['$position', { $literal: toStoredPosition(position) }] } } }];
}

/** The database named in the connection string's path, or the registry's default. */
export function databaseNameOf(url: string, fallback = 'hsc_registry'): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url);
  const name = match?.[1] ? decodeURIComponent(match[1]) : '';
  return name === '' ? fallback : name;
}

/**
 * A copy of plain data as JSON.parse(JSON.stringify(value)) would give it back — undefined,
 * functions and symbols left out of objects (null in arrays), non-finite numbers as null, `toJSON`
 * honoured (dates become strings) — without writing and parsing the text in between.
 */
export function jsonCopy<T>(value: T): T {
  return copy(value, '') as T;
}

function copy(value: unknown, key: string): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 is written as 0.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      // As JSON.stringify does.
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        return value.map((element, index) => {
          const copied = copy(element, String(index));
          return copied === undefined ? null : copied;
        });
      }
      const result: Record<string, unknown> = {};
      for (const name of Object.keys(value)) {
        const copied = copy((value as Record<string, unknown>)[name], name);
        if (copied !== undefined) result[name] = copied;
      }
      return result;
    }
    default:
      // undefined, functions, symbols: left out (as JSON.stringify leaves them out of objects).
      return undefined;
  }
}

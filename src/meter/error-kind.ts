/** The longest error-kind key kept, in UTF-16 code units; longer keys are cut. */
export const MAX_ERROR_KIND_LENGTH = 120;

/** The key that failures beyond a record's distinct-kind bound are counted under. */
export const OTHER_ERROR_KIND = 'other';

/**
 * Names a failure for `error_kinds`: `"<name>: <message>"`, or just `"<name>"` when the message
 * is empty, cut to {@link MAX_ERROR_KIND_LENGTH}.
 *
 * An `Error` (or any object with a string `name`) gives its own name and message. Other objects
 * are named by their constructor (`"Object"`), primitives by their type (`"string: boom"`,
 * `"number: 42"`), and `null` / `undefined` by themselves.
 *
 * @param error - The value a call threw or rejected with.
 * @returns The key, never longer than {@link MAX_ERROR_KIND_LENGTH}.
 */
export function errorKindOf(error: unknown): string {
  let key: string;
  try {
    key = describe(error);
  } catch {
    // A getter or toString that throws must not lose the failure: it still counts, unnamed.
    key = 'Unknown';
  }

  // A record's kinds are an object: a key named __proto__ would set its prototype here and make
  // the collector refuse the batch (its JSON parser's guard), so the failure is counted renamed.
  return key === '__proto__' ? RENAMED_PROTO_KIND : truncate(key);
}

/** The key a failure whose name would be exactly `__proto__` is counted under. */
export const RENAMED_PROTO_KIND = 'Unknown: __proto__';

function describe(error: unknown): string {
  if (error === null) return 'null';
  if (typeof error !== 'object' && typeof error !== 'function') {
    return join(typeof error, error === undefined ? '' : String(error));
  }

  const { name, message } = error as { name?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof name === 'string' && name !== '') return join(name, text);

  return join(constructorName(error), text);
}

function constructorName(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;

  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Object';
}

function join(name: string, message: string): string {
  return message === '' ? name : `${name}: ${message}`;
}

function truncate(key: string): string {
  if (key.length <= MAX_ERROR_KIND_LENGTH) return key;

  // Do not split a surrogate pair: a lone high surrogate would not survive JSON and UTF-8.
  const last = key.charCodeAt(MAX_ERROR_KIND_LENGTH - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? MAX_ERROR_KIND_LENGTH - 1 : MAX_ERROR_KIND_LENGTH;

  return key.slice(0, end);
}

import { TpsError } from '../errors.js';

/**
 * A request the collector refuses: it answers 400 with the message, which names the field at
 * fault the way a JavaScript path does (`records[3].sketch`).
 */
export class BadRequestError extends TpsError {
  /** Path of the field at fault. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_TPS_PROTOCOL', message);
    this.field = field;
  }
}

/** Tells whether a value is a {@link BadRequestError}, by its code and field. */
export function isBadRequestError(value: unknown): value is BadRequestError {
  return (
    value instanceof Error &&
    (value as { code?: unknown }).code === 'ERR_TPS_PROTOCOL' &&
    typeof (value as { field?: unknown }).field === 'string'
  );
}

/**
 * Joins a field path and an array index or property name:
 * `('records', 3)` is `records[3]`, `('tags', 'a b')` is `tags["a b"]`.
 */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number' || /^[0-9]+$/.test(key)) {
    return `${base}[${key}]`;
  }
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) {
    return base === '' ? key : `${base}.${key}`;
  }

  return `${base}[${JSON.stringify(key)}]`;
}

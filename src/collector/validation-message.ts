import type { FastifySchemaValidationError } from 'fastify';
import { BASE64_PATTERN, EPOCH_MS_PATTERN, NAME_PATTERN } from '../protocol/schemas.js';
import { fieldPath } from './request-error.js';

/** Plain words for the schema patterns, in place of Ajv's "must match pattern …". */
const patternWords: Record<string, string> = {
  [NAME_PATTERN]: 'must not contain control characters',
  [BASE64_PATTERN]: 'must be base64',
  [EPOCH_MS_PATTERN]: 'must be epoch milliseconds as decimal digits',
};

/** Turns an Ajv JSON pointer (`/records/3/count`) into a field path (`records[3].count`). */
export function pointerToPath(pointer: string): string {
  if (pointer === '') {
    return '';
  }
  const segments = pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));

  return segments.reduce<string>((path, segment) => fieldPath(path, segment), '');
}

function subjectOf(error: FastifySchemaValidationError, context: string): string {
  const path = pointerToPath(error.instancePath);
  const propertyName = (error as { propertyName?: unknown }).propertyName;
  const base = path === '' ? context : path;
  if (typeof propertyName === 'string') {
    return `${base} key ${JSON.stringify(propertyName)}`;
  }

  return context === 'querystring' && path !== '' ? `${path} query parameter` : base;
}

function missingMessage(error: FastifySchemaValidationError, context: string): string {
  const missing = String(error.params.missingProperty);
  if (context === 'querystring') {
    return `${missing} query parameter is required`;
  }

  return `${fieldPath(pointerToPath(error.instancePath), missing)} is required`;
}

/**
 * The types a value failed to match in an `anyOf`, such as `string or null`, when the first
 * error is one branch's type mismatch; otherwise undefined.
 */
function anyOfTypes(errors: FastifySchemaValidationError[]): string | undefined {
  const [first] = errors;
  if (first === undefined || first.keyword !== 'type') {
    return undefined;
  }
  const atPath = errors.filter((error) => error.instancePath === first.instancePath);
  if (!atPath.some((error) => error.keyword === 'anyOf')) {
    return undefined;
  }
  const types = atPath.filter((error) => error.keyword === 'type').map((e) => e.params.type);

  return [...new Set(types)].join(' or ');
}

/**
 * Says what is wrong with a request in one sentence that names the field, from the validation
 * errors of one request part.
 *
 * @param errors - Ajv's errors, as fastify passes them on `error.validation`
 * @param context - the part: `body`, `querystring`, `params` or `headers`
 */
export function validationMessage(errors: FastifySchemaValidationError[], context: string): string {
  const [first] = errors;
  if (first === undefined) {
    return `${context} is not valid`;
  }
  if (first.keyword === 'required') {
    return missingMessage(first, context);
  }

  const subject = subjectOf(first, context);
  const types = anyOfTypes(errors);
  if (types !== undefined) {
    return `${subject} must be ${types}`;
  }
  const pattern =
    first.keyword === 'pattern' ? patternWords[String(first.params.pattern)] : undefined;

  return `${subject} ${pattern ?? first.message ?? 'is not valid'}`;
}

import { ConfigError } from '../errors.js';
import { instrument, runMeasured, type AnyFunction } from './instrument.js';
import { resolveMeasureOptions, show, type MeasureOptions } from './options.js';

/** The endpoint used when a function or method has no name. */
export const ANONYMOUS_ENDPOINT = 'anonymous';

/**
 * What {@link measureTps} returns: a wrapper for a function, a standard (TC39) method decorator
 * and a legacy (`experimentalDecorators`) method decorator in one, told apart by its arguments.
 */
export interface MeasureTps {
  /** Wraps a function; the wrapper has the same type, `name` and `length`. */
  <F extends AnyFunction>(fn: F): F;
  /** Decorates a method, static or not, under standard decorators (TypeScript 5 default). */
  <This, Args extends unknown[], R>(
    method: (this: This, ...args: Args) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => R>,
  ): (this: This, ...args: Args) => R;
  /** Decorates a method under `experimentalDecorators` (NestJS, older TypeScript projects). */
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>;
}

/**
 * Measures every call of a function or method: count, failures and duration per wall-clock
 * second, into the agent's meter. A call fails when it throws or its promise rejects.
 *
 * Without an `agent` option and without a default host the function runs unmeasured, and any
 * failure while recording is swallowed: the host's own results and errors pass through
 * unchanged. A native promise is replaced by one chained on it that settles the same way; other
 * thenables are returned untouched and measured as if the call were sync. See
 * `docs/measuring.md`.
 *
 * @param options - Where the calls go; checked now, not on the first call.
 * @returns A wrapper and method decorator; see {@link MeasureTps}.
 * @throws {@link ConfigError} naming the option at fault.
 *
 * @example
 * ```ts
 * const charge = measureTps({ gateway: 'payments' })(async function charge(id: string) {
 *   return id;
 * });
 *
 * class PaymentsService {
 *   @measureTps({ gateway: 'payments', tags: { region: 'eu' } })
 *   async refund(id: string): Promise<string> {
 *     return id;
 *   }
 * }
 * ```
 */
export function measureTps(options: MeasureOptions): MeasureTps {
  const resolved = resolveMeasureOptions(options);

  function measureTpsTarget(target: unknown, context?: unknown, descriptor?: unknown): unknown {
    if (isMethodDescriptor(descriptor)) {
      const key = context as string | symbol;
      descriptor.value = instrument(descriptor.value, resolved, resolved.endpoint ?? nameOf(key));
      return descriptor;
    }
    if (isMethodContext(context)) {
      const method = checkFunction(target, 'the decorated method');
      return instrument(method, resolved, resolved.endpoint ?? nameOf(context.name));
    }
    if (context !== undefined || descriptor !== undefined) throw unsupported(context, descriptor);

    const fn = checkFunction(target, 'the wrapped value');
    return instrument(fn, resolved, resolved.endpoint ?? nameOf(fn.name));
  }

  return measureTpsTarget as MeasureTps;
}

/**
 * Runs `fn` once, now, and records the call under `gateway`.
 *
 * @param gateway - The gateway the call belongs to; a non-empty string.
 * @param fn - The work to run, with no arguments.
 * @param options - As for {@link measureTps}; the endpoint defaults to `fn.name`, or
 *   `'anonymous'`.
 * @returns What `fn` returns; a native promise is replaced by one that settles the same way.
 * @throws {@link ConfigError} naming the option at fault; whatever `fn` throws, unchanged.
 *
 * @example
 * ```ts
 * const user = await track('users', () => db.findUser(id), { endpoint: 'findUser' });
 * ```
 */
export function track<T>(
  gateway: string,
  fn: () => T,
  options?: Omit<MeasureOptions, 'gateway'>,
): T {
  const resolved = resolveMeasureOptions(
    options === undefined ? { gateway } : { ...options, gateway },
  );
  const run = checkFunction(fn, 'fn') as () => T;

  return runMeasured(run, resolved, resolved.endpoint ?? nameOf(run.name));
}

type MethodDescriptor = PropertyDescriptor & { value: AnyFunction };

function isMethodDescriptor(value: unknown): value is MethodDescriptor {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PropertyDescriptor).value === 'function'
  );
}

function isMethodContext(value: unknown): value is ClassMethodDecoratorContext {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'method'
  );
}

function checkFunction(value: unknown, what: string): AnyFunction {
  if (typeof value !== 'function') {
    throw new ConfigError('fn', `${what} must be a function; received ${show(value)}`);
  }

  return value as AnyFunction;
}

function unsupported(context: unknown, descriptor: unknown): ConfigError {
  const kind = (context as { kind?: unknown } | null)?.kind;
  const what =
    typeof kind === 'string'
      ? `a ${kind}`
      : typeof descriptor === 'object' && descriptor !== null
        ? 'an accessor'
        : typeof context === 'string' || typeof context === 'symbol'
          ? `the field ${String(context)}`
          : show(context);

  return new ConfigError(
    'fn',
    `measureTps decorates methods and wraps functions only; got ${what}`,
  );
}

function nameOf(key: string | symbol): string {
  const name = typeof key === 'symbol' ? key.description : key;

  return name === undefined || name === '' ? ANONYMOUS_ENDPOINT : name;
}

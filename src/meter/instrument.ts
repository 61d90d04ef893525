import { CallRecorder } from './recorder.js';
import type { ResolvedMeasureOptions } from './options.js';

/** Any function; `never[]` parameters accept every parameter list. */
export type AnyFunction = (...args: never[]) => unknown;

/**
 * Wraps a function so that each call is recorded. `this`, arguments, the return value and a
 * thrown error pass through unchanged; a native promise is replaced by one chained on it that
 * settles the same way. The wrapper keeps the function's `name` and `length`.
 *
 * @param fn - The function to wrap.
 * @param options - Validated options.
 * @param endpoint - The endpoint, already defaulted.
 */
export function instrument<F extends AnyFunction>(
  fn: F,
  options: ResolvedMeasureOptions,
  endpoint: string,
): F {
  const recorder = new CallRecorder(options, endpoint);
  const call = fn as unknown as (...args: unknown[]) => unknown;

  // `arguments` rather than a rest parameter: V8 passes it through `apply` without building an
  // array, which keeps a sync call on a known series free of allocation.
  const measured = function (this: unknown): unknown {
    const clock = recorder.ready();
    let startMs = NaN;
    try {
      if (clock !== undefined) startMs = clock.monotonicMs();
    } catch {
      // A failing clock leaves startMs NaN: the call runs unmeasured.
    }
    // eslint-disable-next-line prefer-rest-params
    if (Number.isNaN(startMs)) return call.apply(this, arguments as unknown as unknown[]);

    let result: unknown;
    try {
      // eslint-disable-next-line prefer-rest-params
      result = call.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      recorder.startMs = startMs;
      recorder.end(true, error);
      throw error;
    }
    if (result instanceof Promise) return recorder.settle(result, startMs);
    recorder.startMs = startMs;
    recorder.end(false, undefined);

    return result;
  };

  Object.defineProperty(measured, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(measured, 'length', { value: fn.length, configurable: true });

  return measured as unknown as F;
}

/**
 * Runs `fn` once, now, recording the call like {@link instrument}'s wrapper does.
 *
 * @returns What `fn` returns; a native promise is replaced by one that settles the same way.
 */
export function runMeasured<T>(fn: () => T, options: ResolvedMeasureOptions, endpoint: string): T {
  const recorder = new CallRecorder(options, endpoint);
  const clock = recorder.ready();
  let startMs = NaN;
  try {
    if (clock !== undefined) startMs = clock.monotonicMs();
  } catch {
    // As in instrument(): the call runs unmeasured.
  }
  if (Number.isNaN(startMs)) return fn();

  let result: T;
  try {
    result = fn();
  } catch (error) {
    recorder.startMs = startMs;
    recorder.end(true, error);
    throw error;
  }
  if (result instanceof Promise) return recorder.settle(result, startMs) as T;
  recorder.startMs = startMs;
  recorder.end(false, undefined);

  return result;
}

/**
 * The call every hot-path case wraps: cheap, so that what a case adds is what is measured, and
 * not foldable, so that V8 cannot drop it.
 */
export function work(i: number): number {
  return i & 0xff;
}

/** The async form of {@link work}: a native promise, as an `async` service method returns. */
export async function workAsync(i: number): Promise<number> {
  return i & 0xff;
}

/** A sync call under test. */
export type SyncCall = (i: number) => number;
/** An async call under test. */
export type AsyncCall = (i: number) => Promise<number>;

/**
 * Where the clock-pair case keeps its durations. A typed array element, not a `let`: a double
 * stored into a closure's variable is boxed on every store, which would charge the floor an
 * allocation the clock itself does not make.
 */
export const durationSink = new Float64Array(1);

/** The series labels of the cases: one gateway, endpoints `e0` to `e<series - 1>`. */
export function seriesLabels(series: number): { gateway: string; endpoint: string }[] {
  return Array.from({ length: series }, (_, j) => ({ gateway: 'bench', endpoint: `e${j}` }));
}

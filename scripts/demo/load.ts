import autocannon from 'autocannon';

/** What the load tool saw of one route. */
export interface RouteTally {
  completed: number;
  failed: number;
}

/** One route's load: a fixed number of requests at a fixed rate, so every request completes. */
export interface RouteLoad {
  url: string;
  method: 'GET' | 'POST';
  ratePerSecond: number;
  durationSeconds: number;
  connections: number;
}

/**
 * Drives one route with autocannon. A fixed `amount` rather than a duration: autocannon waits
 * for every response of an amount, while a duration cuts requests in flight that the service
 * may still have counted, and the demo compares exact figures.
 */
export function driveRoute(load: RouteLoad, tally: RouteTally): Promise<void> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        method: load.method,
        connections: load.connections,
        overallRate: load.ratePerSecond,
        amount: load.ratePerSecond * load.durationSeconds,
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_client, statusCode) => {
      tally.completed += 1;
      if (statusCode >= 500) tally.failed += 1;
    });
  });
}

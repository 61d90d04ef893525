/**
 * Seeded randomness, so that every run of the suite records the same calls and sketches of the
 * same size.
 */

/** A generator of uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Service-like latencies in milliseconds: log-normal around `medianMs`, so that a second's
 * sketch spreads over as many bins as a real endpoint's would.
 */
export function latencySampler(random: () => number, medianMs: number, sigma = 0.8): () => number {
  return () => {
    // Box–Muller; 1 - random() keeps the logarithm finite.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

    return medianMs * Math.exp(sigma * normal);
  };
}

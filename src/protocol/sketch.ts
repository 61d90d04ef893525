import { DDSketch } from '@datadog/sketches-js';

/**
 * Relative accuracy of every latency sketch. Agent and collector must agree on it: sketches
 * merge only when their mappings are the same.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** Makes an empty latency sketch with the shared accuracy. */
export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}

/** Encodes a sketch for the wire: base64 of its protobuf form. */
export function encodeSketch(sketch: DDSketch): string {
  return Buffer.from(sketch.toProto()).toString('base64');
}

/**
 * Decodes a sketch from the wire. Throws on bytes that are not a sketch; the caller names the
 * field in its answer.
 */
export function decodeSketch(encoded: string): DDSketch {
  return DDSketch.fromProto(Buffer.from(encoded, 'base64'));
}

export type { DDSketch };

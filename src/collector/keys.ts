/**
 * The collector's LevelDB key layout. Keys are UTF-8 strings whose parts are separated by
 * `\u0000`; the request schemas reject control characters in every name that becomes a part,
 * so a part never contains the separator. Numbers are zero-padded to 16 digits, so that byte
 * order is numeric order and a time range within one gateway is one contiguous range scan.
 *
 * | prefix | key                                                    | value              |
 * | ------ | ------------------------------------------------------ | ------------------ |
 * | `m`    | `m␀layout`                                             | layout version     |
 * | `s`    | `s␀<gateway>␀<t>␀<endpoint>␀<server_id>␀<tags>`        | a `StoredBucket`   |
 * | `d`    | `d␀<agent_id>␀<seq>`                                   | an applied marker  |
 * | `h`    | `h␀<agent_id>`                                         | the last heartbeat |
 *
 * `<tags>` is the JSON of the tag entries sorted by key, which never holds a raw control
 * character because JSON escapes them.
 */

const SEP = '\u0000';
/** The character after {@link SEP}: a prefix followed by it bounds a range from above. */
const AFTER_SEP = '\u0001';
const NUMBER_WIDTH = 16;

/** The version of this layout, kept under {@link LAYOUT_KEY}. */
export const LAYOUT_VERSION = 1;

/** Key of the layout version. */
export const LAYOUT_KEY = `m${SEP}layout`;

/** The parts of a series bucket's key. */
export interface SeriesKeyParts {
  gateway: string;
  /** Epoch milliseconds of the start of the second. */
  t: number;
  endpoint: string;
  serverId: string;
  /** Canonical tag text from {@link canonicalTags}. */
  tags: string;
}

/** A key range for a LevelDB iterator: from `gte` up to, not including, `lt`. */
export interface KeyRange {
  gte: string;
  lt: string;
}

/** The parts of an applied marker's key. */
export interface AppliedKeyParts {
  agentId: string;
  seq: number;
}

function pad(value: number): string {
  return String(value).padStart(NUMBER_WIDTH, '0');
}

/** Canonical text of a tag set: JSON of its entries sorted by key, `[]` when there are none. */
export function canonicalTags(tags: Record<string, string>): string {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  return JSON.stringify(entries);
}

/** Key of one series' bucket for one second. */
export function seriesKey(parts: SeriesKeyParts): string {
  return ['s', parts.gateway, pad(parts.t), parts.endpoint, parts.serverId, parts.tags].join(SEP);
}

/** Splits a key made by {@link seriesKey} back into its parts. Throws on any other key. */
export function parseSeriesKey(key: string): SeriesKeyParts {
  const parts = key.split(SEP);
  const [prefix, gateway, t, endpoint, serverId, tags] = parts;
  if (parts.length !== 6 || prefix !== 's') {
    throw new Error(`not a series key: ${JSON.stringify(key)}`);
  }

  return {
    gateway: gateway as string,
    t: Number(t),
    endpoint: endpoint as string,
    serverId: serverId as string,
    tags: tags as string,
  };
}

/**
 * The keys of one gateway's buckets whose second `t` lies in `fromMs <= t <= toMs`, both
 * integers, `fromMs >= 0`.
 */
export function seriesRange(gateway: string, fromMs: number, toMs: number): KeyRange {
  const prefix = `s${SEP}${gateway}${SEP}`;

  // A bucket key continues after the padded second, so it sorts after the bare padded `from`
  // and before the bare padded `to + 1`.
  return { gte: prefix + pad(fromMs), lt: prefix + pad(toMs + 1) };
}

/** Key of the marker that says record `seq` of agent `agentId` has been applied. */
export function appliedKey(agentId: string, seq: number): string {
  return ['d', agentId, pad(seq)].join(SEP);
}

/** Splits a key made by {@link appliedKey} back into its parts. Throws on any other key. */
export function parseAppliedKey(key: string): AppliedKeyParts {
  const parts = key.split(SEP);
  const [prefix, agentId, seq] = parts;
  if (parts.length !== 3 || prefix !== 'd') {
    throw new Error(`not an applied marker key: ${JSON.stringify(key)}`);
  }

  return { agentId: agentId as string, seq: Number(seq) };
}

/** The range of every applied marker key, of every agent. */
export function appliedRange(): KeyRange {
  return { gte: `d${SEP}`, lt: `d${AFTER_SEP}` };
}

/**
 * The first key after every applied marker of agent `agentId`: `d␀<agent>␀…` keys all sort
 * below `d␀<agent>\u0001`, and the next agent's keys (whose ids hold no control character)
 * sort above it.
 */
export function afterAgentMarkers(agentId: string): string {
  return `d${SEP}${agentId}${AFTER_SEP}`;
}

/** Key of the last heartbeat of agent `agentId`. */
export function heartbeatKey(agentId: string): string {
  return `h${SEP}${agentId}`;
}

/** The range of every heartbeat key. */
export function heartbeatRange(): KeyRange {
  return { gte: `h${SEP}`, lt: `h${AFTER_SEP}` };
}

import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../logger.js';
import type { LogReporter } from './reporter.js';

// The agent id is what lets the collector apply each record once, by (agent id, seq): an id
// that changes while records stay pending gets them counted twice. So it is kept in two places,
// each with a checksum so that damage is seen rather than read as another id: the meta key
// `m!agent-id`, and a small file in the log's directory. `meta.ts` decides at open which copy
// holds; this file is the stored form of both copies.

/**
 * The file in the log's directory that holds the second copy of the agent id. It lives inside the
 * directory, not beside it, so that a store moved aside takes its copy along: the fresh log
 * started in its place gives seqs from 1 again and must not take the old identity, under which
 * the collector would drop its records as duplicates. LevelDB and its repair leave alone files
 * whose names they did not make.
 */
export const IDENTITY_FILE = 'tps-identity';

// As crypto.randomUUID() writes them: lowercase only, so that a flipped case bit is seen too.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STAMPED = /^(\S{36}) ([0-9a-f]{8})$/;

/** A stored copy of the agent id as read: the id, or what is wrong with it. */
export type StoredIdentity =
  | {
      agentId: string;
      /** Whether it carried its checksum; a bare UUID is how layouts before it stored the id. */
      isStamped: boolean;
    }
  | { problem: string };

/** What open did about the agent id beyond reading it, for the log to tell at warn. */
export interface IdentityEvent {
  /**
   * `restored`: the meta copy was missing or damaged and the file's was put back, with the seqs
   * moved on by 2^32. `replaced`: no copy could be used, so a new id was made and the records
   * pending under the old one were dropped for `corrupt`. `file-rewritten`: the file's copy was
   * damaged or held another id and was written again from the meta copy. `file-failed`: the file
   * could not be written, so damage to the meta copy cannot be undone until it is.
   */
  action: 'restored' | 'replaced' | 'file-rewritten' | 'file-failed';
  /** What was wrong, e.g. `m!agent-id is missing`. */
  problem: string;
  /** Records dropped for `corrupt` (only by `replaced`). */
  droppedRecords: number;
}

/** The stored form of `agentId`: the id, a space, and its CRC-32 as 8 lowercase hex digits. */
export function stampIdentity(agentId: string): string {
  return `${agentId} ${checksumOf(agentId)}`;
}

/** Reads a stored copy of the agent id: stamped, or a bare UUID as earlier layouts wrote it. */
export function parseIdentity(text: string): StoredIdentity {
  const stamped = STAMPED.exec(text);
  if (stamped !== null) {
    const [, agentId = '', checksum] = stamped;
    if (checksumOf(agentId) !== checksum) return { problem: 'its checksum does not match' };
    if (!UUID.test(agentId)) return { problem: 'it is not a UUID' };

    return { agentId, isStamped: true };
  }

  return UUID.test(text)
    ? { agentId: text, isStamped: false }
    : { problem: 'it is neither a UUID nor a UUID with its checksum' };
}

/**
 * Reads the file copy of the agent id in the directory `location`.
 *
 * @returns undefined when there is no file; a problem when it cannot be read or fails its check.
 */
export async function readIdentityFile(location: string): Promise<StoredIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(join(location, IDENTITY_FILE), 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    return { problem: `it cannot be read: ${(error as Error).message}` };
  }

  const parsed = parseIdentity(text.endsWith('\n') ? text.slice(0, -1) : text);
  // The file was always written stamped: a bare UUID in it is damage, not an old layout.
  if ('agentId' in parsed && !parsed.isStamped) return { problem: 'it has no checksum' };

  return parsed;
}

/**
 * Writes the file copy of `agentId` atomically: a temp file, synced, renamed over the old one,
 * then the directory synced, so that a crash leaves the old copy or the new one, never a part.
 *
 * @throws the file system's error.
 */
export async function writeIdentityFile(location: string, agentId: string): Promise<void> {
  const path = join(location, IDENTITY_FILE);
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(`${stampIdentity(agentId)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);

  await syncDirectory(location);
}

/** Logs each event at warn and reports the records it dropped. */
export function reportIdentityEvents(
  events: readonly IdentityEvent[],
  logger: Logger,
  reporter: LogReporter,
): void {
  for (const event of events) {
    logger.warn(event, EVENT_MESSAGES[event.action]);
    reporter.dropped('corrupt', event.droppedRecords);
  }
}

const EVENT_MESSAGES: Record<IdentityEvent['action'], string> = {
  restored: `agent id restored from its copy in ${IDENTITY_FILE}; seqs jump by 2^32`,
  replaced:
    'agent id lost with no usable copy: a new one is made, and the records pending under the ' +
    'old one are dropped as corrupt, since resending them under a new id would count them twice',
  'file-rewritten': `the copy of the agent id in ${IDENTITY_FILE} is written again`,
  'file-failed': `cannot write the copy of the agent id in ${IDENTITY_FILE}`,
};

function checksumOf(agentId: string): string {
  return crc32(agentId).toString(16).padStart(8, '0');
}

async function syncDirectory(location: string): Promise<void> {
  let directory;
  try {
    directory = await open(location, 'r');
  } catch {
    // Windows cannot open a directory to sync it; there the rename is as durable as it gets.
    return;
  }
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

import { randomUUID } from 'node:crypto';
import type { LogCounters } from './counters.js';
import {
  IDENTITY_FILE,
  parseIdentity,
  readIdentityFile,
  stampIdentity,
  writeIdentityFile,
  type IdentityEvent,
  type StoredIdentity,
} from './identity.js';
import { FORMAT_VERSION, META } from './keys.js';
import { dropUndeliverable } from './orphans.js';
import { REPAIR_SEQ_GAP } from './reconcile.js';
import { storageError, type LogDatabase } from './storage.js';

export type { IdentityEvent } from './identity.js';

/** What {@link resolveIdentity} needs of the open database. */
export interface IdentityInput {
  db: LogDatabase;
  location: string;
  /** The counters as loaded; a restore moves their last seq on. */
  counters: LogCounters;
  /** The value of `m!agent-id`, if any. */
  storedId: string | undefined;
  /** Whether `m!last-seq` was there: without it, the seqs given before are unknown. */
  hasLastSeq: boolean;
}

/** The agent id open settled on, and where it came from. */
export interface ResolvedIdentity {
  agentId: string;
  /** `meta`: as stored; `file`: restored from the file copy; `new`: made by this open. */
  source: 'meta' | 'file' | 'new';
  /** Records dropped for `corrupt` because their identity was lost. */
  droppedRecords: number;
  events: IdentityEvent[];
}

/**
 * Settles the agent id at open, from its two copies (`identity.ts`):
 *
 * - a valid meta copy wins; a bare UUID from an earlier layout is stamped with its checksum, and
 *   the file copy is written again when it is missing, damaged or holds another id;
 * - else a valid file copy is put back into the meta keys, with the seqs moved on by 2^32 in the
 *   same synced batch, in case `m!last-seq` is older than the seqs given under that id;
 * - else, or when `m!last-seq` is missing too (so the seqs given under the file's id are
 *   unknown, and seqs given again would be dropped by the collector as duplicates), a new id is
 *   made, and the records pending are first dropped for `corrupt`: sent under the new id they
 *   would be counted a second time.
 *
 * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails. A file that cannot be written does not
 * fail the open; it is told as a `file-failed` event.
 */
export async function resolveIdentity(input: IdentityInput): Promise<ResolvedIdentity> {
  const { db, location, storedId } = input;
  const inMeta: StoredIdentity =
    storedId === undefined
      ? { problem: `${META.agentId} is missing` }
      : withSubject(parseIdentity(storedId), `${META.agentId} holds ${quote(storedId)}`);
  const inFile = withSubject(await readIdentityFile(location), IDENTITY_FILE);

  if ('agentId' in inMeta) return keepMetaCopy(db, location, inMeta, inFile);
  if (inFile !== undefined && 'agentId' in inFile && input.hasLastSeq) {
    return restoreFileCopy(input, inFile.agentId, inMeta.problem);
  }

  return replace(input, inMeta, inFile);
}

async function keepMetaCopy(
  db: LogDatabase,
  location: string,
  inMeta: { agentId: string; isStamped: boolean },
  inFile: StoredIdentity | undefined,
): Promise<ResolvedIdentity> {
  const { agentId } = inMeta;
  if (!inMeta.isStamped) await putIdentity(db, location, agentId, {});

  const events: IdentityEvent[] = [];
  if (inFile === undefined || !('agentId' in inFile) || inFile.agentId !== agentId) {
    const problem =
      inFile === undefined
        ? undefined
        : 'problem' in inFile
          ? inFile.problem
          : `${IDENTITY_FILE} holds another agent id, ${inFile.agentId}`;
    // A missing file is not news: the first open after an upgrade, or a crash after the meta
    // copy was written. A damaged or different one is.
    const failed = await writeFileCopy(location, agentId, events);
    if (!failed && problem !== undefined) events.push(event('file-rewritten', problem));
  }

  return { agentId, source: 'meta', droppedRecords: 0, events };
}

async function restoreFileCopy(
  input: IdentityInput,
  agentId: string,
  problem: string,
): Promise<ResolvedIdentity> {
  const { db, location, counters } = input;
  // The key that held the id is gone or damaged; m!last-seq may be older than the seqs given
  // under this id. The same gap as after a repair takes the next seqs past any of them.
  const lastSeq = counters.lastSeq + REPAIR_SEQ_GAP;
  await putIdentity(db, location, agentId, { [META.lastSeq]: String(lastSeq) });
  counters.raiseLastSeq(lastSeq);

  return { agentId, source: 'file', droppedRecords: 0, events: [event('restored', problem)] };
}

async function replace(
  input: IdentityInput,
  inMeta: { problem: string },
  inFile: StoredIdentity | undefined,
): Promise<ResolvedIdentity> {
  const { db, location, counters } = input;
  // Dropped before the new id is stored: a crash in between leaves no id again, and the next
  // open drops what is left. The other order could leave records pending under the new id.
  const droppedRecords = await dropUndeliverable(db, location, counters);
  const agentId = randomUUID();
  await putIdentity(db, location, agentId, { [META.format]: FORMAT_VERSION });

  const events: IdentityEvent[] = [];
  await writeFileCopy(location, agentId, events);
  const isFresh = input.storedId === undefined && inFile === undefined;
  if (!isFresh || droppedRecords > 0) {
    events.unshift(
      event('replaced', whyReplaced(inMeta, inFile, input.hasLastSeq), droppedRecords),
    );
  }

  return { agentId, source: 'new', droppedRecords, events };
}

function whyReplaced(
  inMeta: { problem: string },
  inFile: StoredIdentity | undefined,
  hasLastSeq: boolean,
): string {
  if (inFile === undefined) return `${inMeta.problem}, and ${IDENTITY_FILE} is missing`;
  if ('problem' in inFile) return `${inMeta.problem}, and ${inFile.problem}`;

  const lost = hasLastSeq ? '' : `, and so is ${META.lastSeq}: the seqs given are unknown`;

  return `${inMeta.problem}${lost}`;
}

/** Puts the stamped id, and `more` meta keys, in one synced batch. */
async function putIdentity(
  db: LogDatabase,
  location: string,
  agentId: string,
  more: Record<string, string>,
): Promise<void> {
  try {
    // Synced like every other write: an id handed out must be the id found on the next open.
    const batch = db.batch().put(META.agentId, stampIdentity(agentId));
    for (const [key, value] of Object.entries(more)) batch.put(key, value);
    await batch.write({ sync: true });
  } catch (error) {
    throw storageError(location, 'cannot store the agent id', error);
  }
}

/** Writes the file copy; on failure adds a `file-failed` event and returns true. */
async function writeFileCopy(
  location: string,
  agentId: string,
  events: IdentityEvent[],
): Promise<boolean> {
  try {
    await writeIdentityFile(location, agentId);

    return false;
  } catch (error) {
    events.push(event('file-failed', `${IDENTITY_FILE}: ${(error as Error).message}`));

    return true;
  }
}

function withSubject<T extends StoredIdentity | undefined>(stored: T, subject: string): T {
  if (stored === undefined || !('problem' in stored)) return stored;

  return { problem: `${subject}: ${stored.problem}` } as T;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

function event(
  action: IdentityEvent['action'],
  problem: string,
  droppedRecords = 0,
): IdentityEvent {
  return { action, problem, droppedRecords };
}

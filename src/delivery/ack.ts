import type { BatchAck } from '../protocol/types.js';

/** What an acknowledgement says of the records of one batch. */
export interface AckedSeqs {
  /** Seqs of the batch the collector named as applied now or before: these are deleted. */
  toDelete: number[];
  /** Records of the batch the collector had applied before (a resend). */
  duplicates: number;
  /** Seqs of the batch the ack does not name: they stay in the log. */
  unnamed: number[];
}

/**
 * Reads an acknowledgement against the batch it answers. A collector that names seqs
 * (`applied_seqs`, `duplicate_seqs`) gets exactly their union deleted, limited to the batch's
 * own seqs; an older one that names none acknowledges the whole batch.
 */
export function readAck(batchSeqs: readonly number[], ack: BatchAck): AckedSeqs {
  const applied = seqList(ack.applied_seqs);
  const duplicate = seqList(ack.duplicate_seqs);
  if (applied === undefined && duplicate === undefined) {
    return { toDelete: [...batchSeqs], duplicates: ack.duplicate_count, unnamed: [] };
  }

  const duplicates = new Set(duplicate);
  const named = new Set([...(applied ?? []), ...duplicates]);

  return {
    toDelete: batchSeqs.filter((seq) => named.has(seq)),
    duplicates: batchSeqs.filter((seq) => duplicates.has(seq)).length,
    unnamed: batchSeqs.filter((seq) => !named.has(seq)),
  };
}

/** The list when it is an array; anything else counts as absent, as from an older collector. */
function seqList(value: unknown): number[] | undefined {
  return Array.isArray(value) ? value.filter((seq) => typeof seq === 'number') : undefined;
}

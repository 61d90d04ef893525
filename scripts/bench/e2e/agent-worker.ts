/**
 * A real agent in its own process, driven by one job: a rising-rate ladder, producing or
 * draining a backlog, or holding load while its memory is read.
 */
import { readConfig, runMain } from '../worker-io.js';
import { drainBacklog, type DrainConfig } from './drain.js';
import { runLadder, type LadderConfig } from './ladder.js';
import { produceBacklog, type ProduceConfig } from './produce.js';
import { measureMemory, type MemoryConfig } from '../memory/measure.js';

/** What the harness asks of this worker. */
export type AgentJob =
  | ({ job: 'ladder' } & LadderConfig)
  | ({ job: 'produce' } & ProduceConfig)
  | ({ job: 'drain' } & DrainConfig)
  | ({ job: 'memory' } & MemoryConfig);

function main(): Promise<unknown> {
  const config = readConfig<AgentJob>();
  switch (config.job) {
    case 'ladder':
      return runLadder(config);
    case 'produce':
      return produceBacklog(config);
    case 'drain':
      return drainBacklog(config);
    case 'memory':
      return measureMemory(config);
  }
}

runMain(main);

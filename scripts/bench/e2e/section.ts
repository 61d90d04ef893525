import { join } from 'node:path';
import type { BenchMode } from '../mode.js';
import type { Section } from '../section.js';
import { withTempDir } from '../temp.js';
import { startCollectorProcess } from './collector.js';
import { drainPart } from './drain-section.js';
import { ladderMarkdown } from './ladder-section.js';

const LADDER_METHOD = `A real collector runs in its own process on a local port; a real
agent in another (defaults, but a send round every second) wraps one cheap
function per series, 20 series, and calls them round robin on a timer at each
rate of a rising ladder in turn. A rate is **kept up** when the calls made reach
95 % of it, the log never holds more than two batches (200 records) in the
second half of the step, and the collector acknowledged records during the step.
The ladder stops at the first rate not kept up. Calls are summed per series and
second, so the records to deliver stay near 20 to 40 a second at any call rate:
what the ladder finds is the most calls one process makes and measures while
delivery goes on beside it, not a limit of delivery.`;

/** Section 4: delivery against a local collector, and how fast a backlog drains. */
export async function endToEndSection(mode: BenchMode): Promise<Section> {
  return withTempDir('e2e', async (dir) => {
    const collector = await startCollectorProcess(join(dir, 'collector'));
    let ladder: string;
    try {
      ladder = await ladderMarkdown(mode, collector, dir);
    } finally {
      await collector.stop();
    }
    const drain = await drainPart(mode, dir);
    const body = [LADDER_METHOD, ladder, '### Backlog drain', drain.markdown].join('\n\n');

    return { title: '4. End to end', body, targets: [drain.target] };
  });
}

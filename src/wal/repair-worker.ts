/**
 * Runs `ClassicLevel.repair` on the location given as the first argument, then exits: 0 when
 * the repair finished, 1 when LevelDB reported a failure (its message on stderr), 2 without a
 * location. {@link repairInChild} starts this file in a child process, because LevelDB's repair
 * can fail an assertion on some damage and abort the whole process it runs in.
 *
 * @module
 */
import { ClassicLevel } from 'classic-level';

const location = process.argv[2];

if (location === undefined || location === '') {
  process.stderr.write('usage: repair-worker.js <location>\n');
  process.exitCode = 2;
} else {
  try {
    await ClassicLevel.repair(location);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

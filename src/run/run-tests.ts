import type { Log } from '../ports.js';
import type { PublishRepo } from '../publish/publish-repo.js';
import { revertSince, snapshotWorkTree } from '../publish/revert-work-tree.js';
import type { TestResult } from '../records/run-outcome.js';
import { capText, plainTerminalText } from '../tools/output-cap.js';
import type { Shell } from '../tools/shell.js';
import type { Workbench } from '../tools/workbench.js';
import { errorMessage } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';

const TEST_TIMEOUT_MS = 10 * 60_000;
const TEST_OUTPUT_BYTES = 6_000;

/**
 * The `test-command` runs the agent's code: same sandbox and scrubbed environment, credentials still hidden. What
 * it writes (reports, snapshots) is not the agent's work and is put back before the patch is made, from taskcap's
 * own repository, path by path: no git command runs in the workspace (none of its filters or config apply).
 */
export async function runTestCommand(
  command: string,
  w: { repo: PublishRepo; startSha: string; bench: Workbench; shell: Shell; cancel: AbortSignal; log: Log; redactor: Redactor },
): Promise<TestResult> {
  const redact = (e: unknown) => w.redactor.redact(errorMessage(e));
  const before = await snapshotWorkTree(w.repo, w.startSha).catch((e) => w.log.warn(`The working tree could not be read before the tests: ${redact(e)}`));
  w.log.info(`Running the test command: ${command}`);
  const r = await w.shell.run({
    command,
    cwd: w.bench.paths.root,
    root: w.bench.paths.root,
    env: w.bench.env,
    timeoutMs: TEST_TIMEOUT_MS,
    maxOutputBytes: TEST_OUTPUT_BYTES * 4,
    signal: w.cancel,
  });
  const passed = r.exitCode === 0 && !r.timedOut && !r.aborted;
  w.log.info(`Test command ${passed ? 'passed' : 'failed'} (exit ${r.exitCode ?? 'none'}${r.timedOut ? ', timed out' : ''}).`);
  const tail = plainTerminalText(r.output).split('\n').slice(-60).join('\n');
  if (before) await revertSince(w.repo, before).catch((e) => w.log.warn(`What the tests wrote could not be put back: ${redact(e)}`));
  return { command, passed, exitCode: r.exitCode, timedOut: r.timedOut, outputTail: w.redactor.redact(capText(tail, TEST_OUTPUT_BYTES)), durationMs: r.durationMs };
}

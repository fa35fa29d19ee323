import fs from 'node:fs';
import path from 'node:path';
import type { Log } from '../ports.js';
import type { Git } from '../publish/git.js';
import type { TestResult } from '../records/run-outcome.js';
import { capText, plainTerminalText } from '../tools/output-cap.js';
import type { Shell } from '../tools/shell.js';
import type { Workbench } from '../tools/workbench.js';
import type { Redactor } from '../util/redact.js';

const TEST_TIMEOUT_MS = 10 * 60_000;
const TEST_OUTPUT_BYTES = 6_000;

/**
 * The `test-command` runs the agent's code: same sandbox and scrubbed environment, credentials still hidden. What
 * it writes (reports, snapshots) is not the agent's work and is put back before the patch is made.
 */
export async function runTestCommand(
  command: string,
  w: { git: Git; bench: Workbench; shell: Shell; cancel: AbortSignal; log: Log; redactor: Redactor },
): Promise<TestResult> {
  const before = await dirtyPaths(w.git);
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
  await revertNewChanges(w.git, before);
  return { command, passed, exitCode: r.exitCode, timedOut: r.timedOut, outputTail: w.redactor.redact(capText(tail, TEST_OUTPUT_BYTES)), durationMs: r.durationMs };
}

/** Paths that differ from HEAD in the working tree (untracked included). */
async function dirtyPaths(git: Git): Promise<Set<string>> {
  const out = (await git.run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'], { allowFailure: true })).stdout;
  return new Set(out.split('\0').filter(Boolean).map((entry) => entry.slice(3)));
}

/** Put back what changed since `before`: tracked files from HEAD, new files removed. */
async function revertNewChanges(git: Git, before: Set<string>): Promise<void> {
  const now = await dirtyPaths(git);
  const changed = [...now].filter((p) => !before.has(p));
  if (changed.length === 0) return;
  const tracked = (await git.run(['ls-files', '-z', '--', ...changed.map((p) => `:(literal)${p}`)], { allowFailure: true })).stdout.split('\0').filter(Boolean);
  if (tracked.length) await git.run(['checkout', '-q', 'HEAD', '--', ...tracked.map((p) => `:(literal)${p}`)], { allowFailure: true });
  for (const p of changed.filter((x) => !tracked.includes(x))) fs.rmSync(path.join(git.dir, p), { force: true, recursive: true });
}

import fs from 'node:fs';
import type { Ports } from '../ports.js';
import type { Git } from '../publish/git.js';
import { plainTerminalText } from '../tools/output-cap.js';
import { agentEnvironment, createAgentHome } from '../tools/workbench.js';
import { UserError } from '../util/errors.js';
import { MAX_UNIT_LENGTH, type UnitSource } from './fanout-spec.js';

/** How long a `units.command` may take, and how much it may print. */
const COMMAND_TIMEOUT_MS = 5 * 60_000;
const COMMAND_OUTPUT_BYTES = 32 * 1024 * 1024;

export interface WorkList {
  /** The units, sorted and unique. */
  units: string[];
  /** Lines that were not units (too long, control characters), left out. */
  rejected: number;
}

/** A unit is one line of plain text: no control characters, not too long. */
export const isUnit = (s: string): boolean => s.length > 0 && s.length <= MAX_UNIT_LENGTH && !/[\u0000-\u001f\u007f]/.test(s);

function tidy(lines: string[]): WorkList {
  const trimmed = lines.map((l) => l.trim()).filter(Boolean);
  const units = [...new Set(trimmed.filter(isUnit))].sort();
  return { units, rejected: trimmed.length - trimmed.filter(isUnit).length };
}

/** Pathspecs for git: the globs (git's `**` rules), minus the excludes. */
const pathspecs = (source: Extract<UnitSource, { kind: 'files' }>) => [...source.files.map((g) => `:(glob)${g}`), ...source.exclude.map((g) => `:(glob,exclude)${g}`)];

/**
 * The work list of a migration, computed against the checked-out commit, cheaply and deterministically: git's own
 * file list (and `git grep` for `containing`), or the lines a command prints. No model call.
 */
export async function findUnits(source: Exclude<UnitSource, { kind: 'discover' }>, where: { git: Git; ports: Ports; task: string }): Promise<WorkList> {
  const { git } = where;
  if (source.kind === 'files') {
    if (source.containing === undefined) {
      const listed = await git.run(['ls-files', '-z', '--', ...pathspecs(source)]);
      return tidy(listed.stdout.split('\0'));
    }
    // Exit 1 is "no file contains it": an empty work list, not an error.
    const grep = await git.run(['grep', '-l', '-z', '-F', '--no-color', '-e', source.containing, '--', ...pathspecs(source)], { allowFailure: true });
    if (grep.exitCode > 1) throw new Error(`git grep failed (exit ${grep.exitCode}): ${grep.stderr.trim()}`);
    return tidy(grep.stdout.split('\0'));
  }
  return tidy((await runUnitsCommand(source.command, where)).split('\n'));
}

/** The maintainers' `units.command`, run like the test command: in the sandbox, with nothing of the step's secrets. */
async function runUnitsCommand(command: string, { git, ports, task }: { git: Git; ports: Ports; task: string }): Promise<string> {
  const home = createAgentHome();
  const sandbox = await ports.makeShell({ workspace: git.dir, agentHome: home });
  try {
    const r = await sandbox.shell.run({
      command,
      cwd: git.dir,
      root: git.dir,
      env: agentEnvironment(git.dir, sandbox.shell.home ?? home),
      timeoutMs: COMMAND_TIMEOUT_MS,
      maxOutputBytes: COMMAND_OUTPUT_BYTES,
      signal: ports.cancel,
    });
    const tail = plainTerminalText(r.output).split('\n').slice(-10).join('\n');
    if (r.timedOut) throw new UserError(`tasks.${task}.units.command did not finish within ${COMMAND_TIMEOUT_MS / 60_000} minutes. Make it faster, or list the units with units.files.`);
    if (r.exitCode !== 0) throw new UserError(`tasks.${task}.units.command exited ${r.exitCode ?? 'on a signal'}; it must print one unit per line and exit 0. Its output ended with:\n${tail}`);
    if (r.totalBytes > COMMAND_OUTPUT_BYTES) throw new UserError(`tasks.${task}.units.command printed more than ${COMMAND_OUTPUT_BYTES / 1024 / 1024} MB; print one unit per line, nothing else.`);
    return r.output;
  } finally {
    await sandbox.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { CappedCollector } from './output-cap.js';
import { findReaper, underReaper, type Reaper } from './process-reaper.js';

export interface ShellRequest {
  command: string;
  /** Directory the command starts in (the previous command's final directory). */
  cwd: string;
  /** Where to start when `cwd` no longer exists. */
  root: string;
  /** The complete environment of the command: nothing is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
}

export interface ShellResult {
  /** stdout and stderr interleaved as they arrived, capped (head and tail kept). */
  output: string;
  totalBytes: number;
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** The command wrote more than OUTPUT_STOP_BYTES and was stopped (a `yes`, an endless log). */
  flooded?: boolean;
  /** The directory the command ended in, as the shell reported it. */
  cwd?: string;
  /**
   * False when the command defeated what holds its processes (it killed its reaper): something it started may
   * still run. Undefined when nothing more than a process group held them.
   */
  contained?: boolean;
  durationMs: number;
}

/** Runs one bash command. The sandbox decides how (host process group, bubblewrap). */
export interface Shell {
  /** Shown in logs and the receipt: "bubblewrap" or "host (no sandbox)". */
  readonly description: string;
  /** The HOME its commands must use, when the shell was built around one (the sandbox binds it writable). */
  readonly home?: string;
  run(request: ShellRequest): Promise<ShellResult>;
  /** Commands so far that defeated what holds their processes (killed their reaper). */
  breaches?(): number;
}

/**
 * Processes (threads count too) one command may have running under the runner's user: far above what builds and
 * test runners use, far below what takes a runner down. The kernel enforces it for users other than root; in
 * the sandbox it counts only the sandbox's own processes (its user namespace), without one all of the user's.
 */
export const MAX_PROCESSES = 4096;

/**
 * Each command gets a fresh non-interactive bash; the working directory carries over (reported on fd 3), like
 * the persistent session the bash tool describes, without a long-lived shell that a timeout could wedge.
 * stderr joins stdout so the model sees output in the order a terminal would show it. The command itself runs
 * with fd 3 closed: it cannot forge the directory report, and a daemon it starts does not hold the pipe open.
 */
export function bashWrapper(maxProcesses: number = MAX_PROCESSES): string {
  return [
    // The process limit, hard (a command cannot raise it again): a fork bomb stops at it instead of at the runner's.
    `ulimit -u ${Math.floor(maxProcesses)} 2>/dev/null`,
    'cd -- "$1" 2>/dev/null || cd -- "$2"',
    'exec 2>&1',
    'eval "$3" 3>&-',
    '__taskcap_status=$?',
    'pwd -P >&3 2>/dev/null',
    'exit $__taskcap_status',
  ].join('\n');
}

export const BASH_WRAPPER = bashWrapper();

/** How long pipes may stay open after the shell exits (a daemon holding them) before taskcap stops reading. */
const DRAIN_GRACE_MS = 200;

/** How long the reaper gets to take a command down before its whole process group is killed. */
const REAPER_GRACE_MS = 6_000;

/**
 * A command that writes this much is stopped: only head and tail are kept anyway, and an endless writer (`yes`,
 * `tail -f` of a growing log) would otherwise burn the whole command timeout.
 */
export const OUTPUT_STOP_BYTES = 256 * 1024 * 1024;

/** Environment variable that tags every process a host command starts, so stragglers can be found and killed. */
export const COMMAND_MARK_VAR = 'TASKCAP_COMMAND_ID';

/**
 * Kill every process that still carries `mark` in its environment (best effort, Linux /proc). A daemon that
 * left the process group with `setsid` is found this way unless it also cleared its environment; the
 * bubblewrap sandbox does not need this (its PID namespace dies with the command).
 */
export function killMarked(mark: string): number {
  const needle = Buffer.from(`${COMMAND_MARK_VAR}=${mark}\0`);
  let killed = 0;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`);
      const at = environ.indexOf(needle);
      if (at === 0 || (at > 0 && environ[at - 1] === 0)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone, or not ours */
    }
  }
  return killed;
}

/**
 * A shell that runs `argvFor(...)` in its own process group with stdin from /dev/null. On timeout, abort or exit,
 * the whole group is killed. With a `reaper`, the command runs under it, and stopping means asking the reaper,
 * which kills every descendant, also those that left the group; the group is killed only if it does not comply.
 */
export function createProcessShell(
  description: string,
  argvFor: (req: ShellRequest) => { file: string; args: string[] },
  options: { markProcesses?: boolean; reaper?: Reaper } = {},
): Shell {
  let breaches = 0;
  return {
    description,
    breaches: () => breaches,
    run: (req) =>
      new Promise<ShellResult>((resolve) => {
        const started = Date.now();
        const collector = new CappedCollector(req.maxOutputBytes);
        let cwdReport = '';
        let timedOut = false;
        let aborted = false;
        let flooded = false;
        let exitCode: number | null = null;
        const argv = argvFor(req);
        const { reaper } = options;
        const { file, args } = reaper ? underReaper(reaper, argv.file, argv.args) : argv;
        const mark = options.markProcesses ? crypto.randomUUID() : undefined;
        let groupKilled = false;
        let reaperDefeated = false;
        const child = spawn(file, args, {
          cwd: req.root,
          env: mark ? { ...req.env, [COMMAND_MARK_VAR]: mark } : req.env,
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          detached: true,
        });
        const killGroup = () => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
            groupKilled = true;
          } catch {
            /* already gone */
          }
        };
        // Stop the command and everything it started: through the reaper when there is one.
        let reaperTimer: NodeJS.Timeout | undefined;
        const stop = () => {
          if (!reaper || !child.pid || child.exitCode !== null || child.signalCode !== null) return killGroup();
          try {
            process.kill(child.pid, 'SIGTERM');
          } catch {
            return killGroup();
          }
          reaperTimer ??= setTimeout(() => {
            reaperDefeated = true;
            killGroup();
          }, REAPER_GRACE_MS);
        };
        const collect = (b: Buffer) => {
          collector.push(b);
          if (!flooded && collector.total > OUTPUT_STOP_BYTES) {
            flooded = true;
            stop();
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          stop();
        }, req.timeoutMs);
        const onAbort = () => {
          aborted = true;
          stop();
        };
        req.signal?.addEventListener('abort', onAbort, { once: true });
        if (req.signal?.aborted) onAbort();

        child.stdout?.on('data', collect);
        child.stderr?.on('data', collect);
        const fd3 = child.stdio[3];
        fd3?.on('data', (b: Buffer) => {
          if (cwdReport.length < 4096) cwdReport += b.toString('utf8');
        });

        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          clearTimeout(reaperTimer);
          req.signal?.removeEventListener('abort', onAbort);
          for (const s of [child.stdout, child.stderr, fd3]) s?.destroy();
          killGroup();
          if (mark) killMarked(mark);
          if (reaperDefeated) breaches++;
          const reported = cwdReport.trim();
          resolve({
            output: collector.text(),
            totalBytes: collector.total,
            exitCode,
            timedOut,
            aborted,
            flooded,
            cwd: reported || undefined,
            contained: reaper ? !reaperDefeated : undefined,
            durationMs: Date.now() - started,
          });
        };
        child.on('error', (e) => {
          collector.push(Buffer.from(`taskcap: could not start the shell: ${e.message}\n`));
          finish();
        });
        child.on('exit', (code, signal) => {
          exitCode = code;
          // The reaper only ends by itself after taking everything down; killed by someone else, it could not.
          if (reaper && signal !== null && !groupKilled) reaperDefeated = true;
          // Background jobs of the command die with it; then give the pipes a moment to drain.
          killGroup();
          setTimeout(finish, DRAIN_GRACE_MS).unref();
        });
        child.on('close', finish);
      }),
  };
}

/**
 * Commands run directly on the runner, with a scrubbed environment, under a child subreaper that kills every
 * process the command started when it ends (see process-reaper.ts). Where no reaper can run, the process group
 * and an environment mark are all there is (best effort), and `description` says so.
 */
export function createHostShell(opts: { reaper?: Reaper | false } = {}): Shell {
  const reaper = opts.reaper === false ? undefined : (opts.reaper ?? findReaper());
  return createProcessShell(
    reaper ? 'host (no sandbox)' : 'host (no sandbox, no process reaper)',
    (req) => ({
      file: '/bin/bash',
      args: ['--noprofile', '--norc', '-c', BASH_WRAPPER, 'taskcap-bash', req.cwd, req.root, req.command],
    }),
    { markProcesses: true, reaper },
  );
}

/**
 * The receipt's reason when a command defeated what holds its processes (it killed its reaper, possible only
 * without the sandbox): the work is still delivered, as a failed run, so a maintainer looks before merging.
 */
export function containmentBreach(shell: Shell): string | undefined {
  const n = shell.breaches?.() ?? 0;
  if (n === 0) return undefined;
  return `${n === 1 ? 'A command' : `${n} commands`} killed the process that holds what the agent's commands start (sandbox: off), so processes they started may have outlived the loop. The patch was still built and checked as usual; look at it closely before merging.`;
}

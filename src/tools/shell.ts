import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { CappedCollector } from './output-cap.js';

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
  durationMs: number;
}

/** Runs one bash command. The sandbox decides how (host process group, bubblewrap). */
export interface Shell {
  /** Shown in logs and the receipt: "bubblewrap" or "host (no sandbox)". */
  readonly description: string;
  /** The HOME its commands must use, when the shell was built around one (the sandbox binds it writable). */
  readonly home?: string;
  run(request: ShellRequest): Promise<ShellResult>;
}

/**
 * Each command gets a fresh non-interactive bash; the working directory carries over (reported on fd 3), like
 * the persistent session the bash tool describes, without a long-lived shell that a timeout could wedge.
 * stderr joins stdout so the model sees output in the order a terminal would show it. The command itself runs
 * with fd 3 closed: it cannot forge the directory report, and a daemon it starts does not hold the pipe open.
 */
export const BASH_WRAPPER = [
  'cd -- "$1" 2>/dev/null || cd -- "$2"',
  'exec 2>&1',
  'eval "$3" 3>&-',
  '__taskcap_status=$?',
  'pwd -P >&3 2>/dev/null',
  'exit $__taskcap_status',
].join('\n');

/** How long pipes may stay open after the shell exits (a daemon holding them) before taskcap stops reading. */
const DRAIN_GRACE_MS = 200;

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
 * the whole group is killed, so nothing the command started outlives it.
 */
export function createProcessShell(
  description: string,
  argvFor: (req: ShellRequest) => { file: string; args: string[] },
  options: { markProcesses?: boolean } = {},
): Shell {
  return {
    description,
    run: (req) =>
      new Promise<ShellResult>((resolve) => {
        const started = Date.now();
        const collector = new CappedCollector(req.maxOutputBytes);
        let cwdReport = '';
        let timedOut = false;
        let aborted = false;
        let flooded = false;
        let exitCode: number | null = null;
        const { file, args } = argvFor(req);
        const mark = options.markProcesses ? crypto.randomUUID() : undefined;
        const child = spawn(file, args, {
          cwd: req.root,
          env: mark ? { ...req.env, [COMMAND_MARK_VAR]: mark } : req.env,
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          detached: true,
        });
        const killGroup = () => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        };
        const collect = (b: Buffer) => {
          collector.push(b);
          if (!flooded && collector.total > OUTPUT_STOP_BYTES) {
            flooded = true;
            killGroup();
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup();
        }, req.timeoutMs);
        const onAbort = () => {
          aborted = true;
          killGroup();
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
          req.signal?.removeEventListener('abort', onAbort);
          for (const s of [child.stdout, child.stderr, fd3]) s?.destroy();
          killGroup();
          if (mark) killMarked(mark);
          const reported = cwdReport.trim();
          resolve({
            output: collector.text(),
            totalBytes: collector.total,
            exitCode,
            timedOut,
            aborted,
            flooded,
            cwd: reported || undefined,
            durationMs: Date.now() - started,
          });
        };
        child.on('error', (e) => {
          collector.push(Buffer.from(`taskcap: could not start the shell: ${e.message}\n`));
          finish();
        });
        child.on('exit', (code) => {
          exitCode = code;
          // Background jobs of the command die with it; then give the pipes a moment to drain.
          killGroup();
          setTimeout(finish, DRAIN_GRACE_MS).unref();
        });
        child.on('close', finish);
      }),
  };
}

/**
 * Commands run directly on the runner, in their own process group, with a scrubbed environment. Daemons that
 * escape the group with `setsid` are hunted by an environment mark (best effort); only the sandbox guarantees it.
 */
export function createHostShell(): Shell {
  return createProcessShell(
    'host (no sandbox)',
    (req) => ({
      file: '/bin/bash',
      args: ['--noprofile', '--norc', '-c', BASH_WRAPPER, 'taskcap-bash', req.cwd, req.root, req.command],
    }),
    { markProcesses: true },
  );
}

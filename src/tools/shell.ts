import { spawn } from 'node:child_process';
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
  /** The directory the command ended in, as the shell reported it. */
  cwd?: string;
  durationMs: number;
}

/** Runs one bash command. The sandbox decides how (host process group, bubblewrap). */
export interface Shell {
  /** Shown in logs and the receipt: "bubblewrap" or "host (no sandbox)". */
  readonly description: string;
  run(request: ShellRequest): Promise<ShellResult>;
}

/**
 * Each command gets a fresh non-interactive bash; the working directory carries over (reported on fd 3), like
 * the persistent session the bash tool describes, without a long-lived shell that a timeout could wedge.
 * stderr joins stdout so the model sees output in the order a terminal would show it.
 */
export const BASH_WRAPPER = [
  'cd -- "$1" 2>/dev/null || cd -- "$2"',
  'exec 2>&1',
  'eval "$3"',
  '__taskcap_status=$?',
  'pwd -P >&3 2>/dev/null',
  'exit $__taskcap_status',
].join('\n');

/** How long pipes may stay open after the shell exits (a daemon holding them) before taskcap stops reading. */
const DRAIN_GRACE_MS = 200;

/**
 * A shell that runs `argvFor(...)` in its own process group with stdin from /dev/null. On timeout, abort or exit,
 * the whole group is killed, so nothing the command started outlives it.
 */
export function createProcessShell(description: string, argvFor: (req: ShellRequest) => { file: string; args: string[] }): Shell {
  return {
    description,
    run: (req) =>
      new Promise<ShellResult>((resolve) => {
        const started = Date.now();
        const collector = new CappedCollector(req.maxOutputBytes);
        let cwdReport = '';
        let timedOut = false;
        let aborted = false;
        let exitCode: number | null = null;
        const { file, args } = argvFor(req);
        const child = spawn(file, args, {
          cwd: req.root,
          env: req.env,
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

        child.stdout?.on('data', (b: Buffer) => collector.push(b));
        child.stderr?.on('data', (b: Buffer) => collector.push(b));
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
          const reported = cwdReport.trim();
          resolve({
            output: collector.text(),
            totalBytes: collector.total,
            exitCode,
            timedOut,
            aborted,
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

/** Commands run directly on the runner, in their own process group, with a scrubbed environment. */
export function createHostShell(): Shell {
  return createProcessShell('host (no sandbox)', (req) => ({
    file: '/bin/bash',
    args: ['--noprofile', '--norc', '-c', BASH_WRAPPER, 'taskcap-bash', req.cwd, req.root, req.command],
  }));
}

import { execFile } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class GitError extends Error {
  override name = 'GitError';
}

let sharedHome: string | undefined;

/**
 * One empty HOME for every Git of this process (made on first use, removed at exit): git must read no user config,
 * and a directory per instance would pile up in the temp directory.
 */
function emptyHome(): string {
  if (sharedHome === undefined) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-git-home-'));
    process.once('exit', () => fs.rmSync(home, { recursive: true, force: true }));
    sharedHome = home;
  }
  return sharedHome;
}

/**
 * Git for taskcap's own operations (never for the agent). No shell; an environment of its own with an empty
 * HOME and no system config; and hardening flags on every command, because the agent could have planted
 * hooks, an fsmonitor or a pager in the repository's config and taskcap's commands run with its secrets.
 */
export class Git {
  private readonly env: Record<string, string>;

  constructor(
    readonly dir: string,
    home: string = emptyHome(),
    /** Fixed additions to the environment (GIT_DIR, GIT_INDEX_FILE… for a repository of taskcap's own). */
    extraEnv: Record<string, string> = {},
  ) {
    this.env = {
      ...extraEnv,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GCM_INTERACTIVE: 'Never',
      GIT_ASKPASS: '/bin/false',
      SSH_ASKPASS: '/bin/false',
    };
  }

  static readonly HARDENING = [
    '-c', 'core.hooksPath=/dev/null',
    '-c', 'core.fsmonitor=false',
    '-c', 'core.pager=cat',
    '-c', 'core.sshCommand=false',
    '-c', 'protocol.ext.allow=never',
    '-c', 'protocol.file.allow=never',
    '-c', 'credential.helper=',
    '-c', 'commit.gpgSign=false',
    // Nothing a repository's files or config name may run or be read during taskcap's own commands.
    '-c', 'core.attributesFile=/dev/null',
    '-c', 'core.untrackedCache=false',
    '-c', 'core.splitIndex=false',
    '-c', 'core.gitProxy=',
    '-c', 'diff.external=',
    '-c', 'submodule.recurse=false',
    '-c', 'fetch.recurseSubmodules=false',
    '-c', 'push.recurseSubmodules=no',
    '-c', 'gc.auto=0',
    '-c', 'maintenance.auto=false',
  ];

  /** Run `git <args>`; throws GitError with stderr unless `allowFailure`. `env` adds command-scoped variables (auth). */
  run(args: string[], options: { allowFailure?: boolean; env?: Record<string, string>; input?: string | Buffer } = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...Git.HARDENING, ...args],
        { cwd: this.dir, env: { ...this.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          if (exitCode !== 0 && !options.allowFailure) {
            reject(new GitError(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || stdout.trim()}`));
            return;
          }
          resolve({ exitCode, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** Run `git <args>` and return stdout as bytes (paths that are not UTF-8 survive); throws GitError on failure. */
  runRaw(args: string[], options: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number } = {}): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...Git.HARDENING, ...args],
        { cwd: this.dir, env: { ...this.env, ...options.env }, maxBuffer: 512 * 1024 * 1024, encoding: 'buffer', timeout: options.timeoutMs ?? 0, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          if (error) {
            const code = typeof error.code === 'number' ? error.code : 1;
            reject(new GitError(`git ${args.join(' ')} failed (exit ${code}): ${stderr.toString('utf8').trim()}`));
            return;
          }
          resolve(stdout);
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  async output(args: string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }

  /** `git <args>` with `input` on stdin, its stdout as bytes (for output that carries lengths in bytes). */
  bytes(args: string[], input: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = execFile('git', [...Git.HARDENING, ...args], { cwd: this.dir, env: this.env, maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' }, (error, stdout, stderr) => {
        if (error) reject(new GitError(`git ${args.join(' ')} failed: ${stderr.toString('utf8').trim()}`));
        else resolve(stdout);
      });
      child.stdin?.end(input);
    });
  }
}

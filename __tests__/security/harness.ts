// Shared set-up for the hostile-input suite: a workspace laid out like a GitHub runner's (checkout under the
// runner user's HOME, RUNNER_TEMP beside it holding a credentials file and the file-command files), canaries,
// and the sandbox shell. Not a test file itself (no `.test.ts`).
import { describe, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BashTool } from '../../src/tools/bash.js';
import { Editor } from '../../src/tools/editor.js';
import { DEFAULT_PROTECTED, ProtectedPaths } from '../../src/tools/protected-paths.js';
import { createSandboxShell, realSystem, type SandboxShell } from '../../src/tools/sandbox.js';
import { createHostShell, type Shell } from '../../src/tools/shell.js';
import { agentEnvironment, createAgentHome } from '../../src/tools/workbench.js';
import { WorkspacePaths } from '../../src/tools/workspace-path.js';

/** Where bubblewrap is, if anywhere. The sandbox tests run whenever it is installed (and fail if it is broken). */
export const BWRAP = realSystem.findBwrap();
export const NO_BWRAP_REASON = 'bubblewrap is not installed on this machine (install it: apt-get install -y bubblewrap)';
if (!BWRAP) console.warn(`Sandbox tests are SKIPPED: ${NO_BWRAP_REASON}.`);

/** `describe` for suites that need bubblewrap: skipped, with the reason in the suite name, only when it is absent. */
export const describeSandbox = (name: string, fn: () => void) =>
  BWRAP ? describe(name, fn) : describe.skip(`${name} [SKIPPED: ${NO_BWRAP_REASON}]`, fn);

/** `it` for a case that needs bubblewrap inside a suite that does not. */
export const itSandbox = (name: string, fn: () => Promise<void>) => (BWRAP ? it(name, fn) : it.skip(`${name} [SKIPPED: ${NO_BWRAP_REASON}]`, fn));

/** Canary secrets: what a leak would look like. None of them may ever come back out. */
export const CANARY = {
  apiKey: 'sk-ant-api03-CanaryKey7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a-ZZZZZZZZ',
  token: 'ghs_CanaryToken9q8w7e6r5t4y3u2i1o0pAsDfGhJkL',
  workflowSecret: 'canary-workflow-secret-5e1f0c7a9b3d',
};

export interface RunnerLayout {
  /** Base directory of everything (removed by `cleanup`). */
  base: string;
  /** The runner user's HOME (masked in the sandbox). */
  runnerHome: string;
  /** RUNNER_TEMP with a git-credentials file, the event payload and the file-command files. */
  runnerTemp: string;
  /** The checkout (a real git repository), its real path. */
  workspace: string;
  /** The agent's HOME. */
  agentHome: string;
  /** A file outside the workspace the agent must never read or create things next to. */
  outsideSecret: string;
  cleanup(): void;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' },
  });
}

/**
 * A workspace under a fake runner HOME, with RUNNER_TEMP holding credentials like actions/checkout v6 leaves.
 * `onTmpfs`: build it on /dev/shm when there is one (100,000 files are created there in a second, not fifteen).
 */
export function makeRunnerLayout(files: Record<string, string> = {}, opts: { onTmpfs?: boolean } = {}): RunnerLayout {
  const parent = opts.onTmpfs && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const base = fs.realpathSync(fs.mkdtempSync(path.join(parent, 'hostile-')));
  const runnerHome = path.join(base, 'home', 'runner');
  const runnerTemp = path.join(runnerHome, 'work', '_temp');
  const workspace = path.join(runnerHome, 'work', 'repo', 'repo');
  for (const d of [runnerTemp, workspace, path.join(runnerTemp, '_runner_file_commands')]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(runnerTemp, 'git-credentials-1234.config'), `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${Buffer.from(`x-access-token:${CANARY.token}`).toString('base64')}\n`);
  fs.writeFileSync(path.join(runnerTemp, '_runner_file_commands', 'set_env_1'), '');
  fs.writeFileSync(path.join(runnerTemp, 'event.json'), '{"action":"labeled"}');
  fs.writeFileSync(path.join(runnerHome, '.gitconfig'), `[credential]\n\thelper = store\n# ${CANARY.token}\n`);
  const outsideSecret = path.join(base, 'outside-secret.txt');
  fs.writeFileSync(outsideSecret, `TOP SECRET ${CANARY.workflowSecret}\n`);
  const all: Record<string, string> = {
    'README.md': '# demo\n',
    'src/app.js': 'export const answer = () => 41;\n',
    '.github/workflows/ci.yml': 'name: ci\non: push\njobs: {}\n',
    '.github/workflows/release.yml': 'name: release\non: push\njobs: {}\n',
    ...files,
  };
  for (const [rel, content] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    fs.writeFileSync(path.join(workspace, rel), content);
  }
  git(workspace, 'init', '-q', '-b', 'main');
  git(workspace, 'remote', 'add', 'origin', 'https://github.com/acme/repo');
  git(workspace, 'add', '-A');
  git(workspace, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'init');
  const agentHome = createAgentHome();
  return {
    base,
    runnerHome,
    runnerTemp,
    workspace,
    agentHome,
    outsideSecret,
    cleanup() {
      fs.rmSync(base, { recursive: true, force: true });
      fs.rmSync(agentHome, { recursive: true, force: true });
    },
  };
}

const quiet = { info: () => {}, warn: () => {} };

/** The sandbox over a runner layout: RUNNER_TEMP and the runner's HOME masked. */
export function sandboxFor(layout: RunnerLayout, mode: 'required' | 'auto' = 'required'): Promise<SandboxShell> {
  return createSandboxShell({ mode, workspace: layout.workspace, agentHome: layout.agentHome, hide: [layout.runnerTemp, layout.runnerHome], log: quiet });
}

export function bashTool(layout: RunnerLayout, shell: Shell = createHostShell(), timeoutMs = 10_000): BashTool {
  return new BashTool(shell, layout.workspace, agentEnvironment(layout.workspace, layout.agentHome), timeoutMs);
}

export function editorFor(layout: RunnerLayout, extraProtected: string[] = []): Editor {
  return new Editor(new WorkspacePaths(layout.workspace, new ProtectedPaths([...DEFAULT_PROTECTED, '.github/taskcap.yml', ...extraProtected])));
}

/** Processes whose command line contains `needle` (to prove a daemon is gone). */
export function processesMatching(needle: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) found.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Every file under `dir` (relative) except below `skip`, to prove nothing was created outside the workspace. */
export function listTree(dir: string, skip?: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory() && !e.isSymbolicLink() && p !== skip) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The canary and the encodings an injected agent would use to smuggle it. */
export function encodingsOf(secret: string): string[] {
  const hex = Buffer.from(secret).toString('hex');
  return [secret, Buffer.from(secret).toString('base64').replace(/=+$/, ''), [...secret].reverse().join(''), hex, hex.toUpperCase()];
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLOUD_CREDENTIAL_ENV } from '../agent/providers/credential-env.js';
import type { Clock } from '../ports.js';
import { BashTool } from './bash.js';
import { Editor } from './editor.js';
import { ProtectedPaths } from './protected-paths.js';
import type { Shell } from './shell.js';
import { Toolbox } from './toolbox.js';
import { WorkspacePaths } from './workspace-path.js';

/** How long one bash command may run before it and its children are killed. */
export const COMMAND_TIMEOUT_MS = 5 * 60_000;

/**
 * Variables an allowlist can never pass to the agent: the action's inputs (its API key), tokens, the runner's
 * runtime/cache/OIDC credentials, the file-command files (writing GITHUB_ENV would set variables for later
 * steps), the dynamic linker, and the variables taskcap itself controls.
 */
const NEVER_PASSED =
  /^(?:INPUT_.*|ACTIONS_.*|ANTHROPIC_.*|GITHUB_TOKEN|GH_TOKEN|GITHUB_(?:ENV|OUTPUT|PATH|STATE|STEP_SUMMARY|EVENT_PATH)|RUNNER_.*|LD_.*|HOME|TMPDIR|GITHUB_WORKSPACE|TASKCAP|TASKCAP_.*)$/i;

/** Whether a variable may never reach the agent's commands, whatever `allowed-env` says. */
export const neverPassedToAgent = (name: string): boolean => NEVER_PASSED.test(name) || CLOUD_CREDENTIAL_ENV.test(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name);

/** Split a passthrough request into what may reach the agent and what is refused (for a warning). */
export function filterPassthrough(passthrough: Record<string, string>): { kept: Record<string, string>; refused: string[] } {
  const kept: Record<string, string> = {};
  const refused: string[] = [];
  for (const [name, value] of Object.entries(passthrough)) {
    if (neverPassedToAgent(name)) refused.push(name);
    else kept[name] = value;
  }
  return { kept, refused };
}

/**
 * The environment every agent command gets, built from nothing: no INPUT_*, no tokens, no ACTIONS_* runtime or
 * OIDC variables, no ANTHROPIC_*, nothing the workflow put in the step's env unless `passthrough` names it (and
 * never the variables `filterPassthrough` refuses).
 */
export function agentEnvironment(workspace: string, home: string, passthrough: Record<string, string> = {}): Record<string, string> {
  return {
    ...filterPassthrough(passthrough).kept,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: path.join(home, 'tmp'),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    CI: 'true',
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GITHUB_WORKSPACE: workspace,
    TASKCAP: '1',
  };
}

/** A fresh HOME for the agent's commands (with `tmp/`, its TMPDIR and the sandbox's /tmp). */
export function createAgentHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-agent-home-'));
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  return home;
}

export interface Workbench {
  toolbox: Toolbox;
  paths: WorkspacePaths;
  protectedPaths: ProtectedPaths;
  env: Record<string, string>;
  home: string;
  dispose(): void;
}

/** Tools bound to one workspace: the editor confined to it, bash in the given shell with a scrubbed environment. */
export function createWorkbench(opts: {
  workspace: string;
  shell: Shell;
  protectedGlobs: readonly string[];
  redact: (s: string) => string;
  clock: Clock;
  passthroughEnv?: Record<string, string>;
  commandTimeoutMs?: number;
  /**
   * The agent's HOME. Defaults to the shell's own (the sandbox binds that directory writable), else a fresh one.
   * Either way `dispose()` removes it.
   */
  home?: string;
}): Workbench {
  const home = opts.home ?? opts.shell.home ?? createAgentHome();
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  const protectedPaths = new ProtectedPaths(opts.protectedGlobs);
  const paths = new WorkspacePaths(opts.workspace, protectedPaths);
  const env = agentEnvironment(paths.root, home, opts.passthroughEnv);
  const bash = new BashTool(opts.shell, paths.root, env, opts.commandTimeoutMs ?? COMMAND_TIMEOUT_MS);
  const toolbox = new Toolbox(bash, new Editor(paths), opts.redact, () => opts.clock.now());
  return { toolbox, paths, protectedPaths, env, home, dispose: () => fs.rmSync(home, { recursive: true, force: true }) };
}

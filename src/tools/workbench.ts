import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
 * The environment every agent command gets, built from nothing: no INPUT_*, no tokens, no ACTIONS_* runtime or
 * OIDC variables, no ANTHROPIC_*, nothing the workflow put in the step's env unless `passthrough` names it.
 */
export function agentEnvironment(workspace: string, home: string, passthrough: Record<string, string> = {}): Record<string, string> {
  return {
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
    ...passthrough,
  };
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
}): Workbench {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-agent-home-'));
  fs.mkdirSync(path.join(home, 'tmp'));
  const protectedPaths = new ProtectedPaths(opts.protectedGlobs);
  const paths = new WorkspacePaths(opts.workspace, protectedPaths);
  const env = agentEnvironment(paths.root, home, opts.passthroughEnv);
  const bash = new BashTool(opts.shell, paths.root, env, opts.commandTimeoutMs ?? COMMAND_TIMEOUT_MS);
  const toolbox = new Toolbox(bash, new Editor(paths), opts.redact, () => opts.clock.now());
  return { toolbox, paths, protectedPaths, env, home, dispose: () => fs.rmSync(home, { recursive: true, force: true }) };
}

// Runs the action's bundle the way the GitHub runner does: `node dist/index.js` with cwd =
// GITHUB_WORKSPACE, an environment built from scratch (nothing leaks from the test process),
// INPUT_* variables including action.yml defaults (the runner applies those, not the toolkit),
// the event payload in a file, and empty file-command files whose contents are parsed back.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { gitTry } from './git-origin.mjs';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Unroutable default for servers a test didn't start: an accidental call fails fast, offline. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * @typedef {object} RunActionOptions
 * @property {string} [entry]            default <repo>/dist/index.js
 * @property {string} [actionYml]        default <repo>/action.yml (input defaults come from it)
 * @property {string} workspace          GITHUB_WORKSPACE and the cwd
 * @property {string} [runnerTemp]       RUNNER_TEMP (a temp dir if omitted)
 * @property {string} eventName          GITHUB_EVENT_NAME
 * @property {unknown} payload           written to $RUNNER_TEMP/event.json
 * @property {Record<string, string | number | boolean | undefined | null>} [inputs]  by action.yml name ('github-token')
 * @property {Record<string, string | undefined>} [env]  extra env, applied last (undefined removes)
 * @property {string} [githubApiUrl]     GITHUB_API_URL
 * @property {string} [serverUrl]        GITHUB_SERVER_URL
 * @property {string} repository         'owner/repo'
 * @property {string} [anthropicBaseUrl] ANTHROPIC_BASE_URL
 * @property {string} [githubToken]      what `${{ github.token }}` evaluates to (default 'ghs_default')
 * @property {string} [ref]              GITHUB_REF (default: refs/pull/<n>/merge for PR events, else the default branch)
 * @property {string} [sha]              GITHUB_SHA (default: HEAD of the workspace)
 * @property {string} [actor]            GITHUB_ACTOR / GITHUB_TRIGGERING_ACTOR (default: payload.sender.login)
 * @property {string} [runId]            GITHUB_RUN_ID (default '1')
 * @property {string} [runAttempt]       GITHUB_RUN_ATTEMPT (default '1')
 * @property {number} [timeoutMs]        SIGKILL after this long (default 120000)
 * @property {number} [signalAfterMs]    send `signal` after this long (cancellation tests)
 * @property {NodeJS.Signals} [signal]   default 'SIGTERM'
 */

/**
 * @typedef {object} RunActionResult
 * @property {number | null} exitCode
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 * @property {Record<string, string>} outputs      from GITHUB_OUTPUT
 * @property {string} summary                       GITHUB_STEP_SUMMARY text
 * @property {Record<string, string>} state         from GITHUB_STATE
 * @property {Record<string, string>} exportedEnv   from GITHUB_ENV
 * @property {number} durationMs
 * @property {boolean} timedOut
 * @property {Record<string, string>} env           the exact environment the process got
 * @property {string[]} unexpectedInputs            inputs not declared in action.yml (the runner warns)
 */

/**
 * Parses a file-command file: `name<<DELIM\nvalue\nDELIM` heredocs and legacy `name=value` lines.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseFileCommands(text) {
  /** @type {Record<string, string>} */
  const out = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=]+?)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      if (i >= lines.length) throw new Error(`file command '${name}': missing closing delimiter '${delimiter}'`);
      out[name] = value.join('\n');
      continue;
    }
    const eq = lines[i].indexOf('=');
    if (eq > 0) out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
  }
  return out;
}

/**
 * INPUT_* variables: given inputs, plus action.yml defaults for the ones not given.
 * @param {string} actionYml
 * @param {RunActionOptions['inputs']} given
 * @param {string} githubToken
 */
function inputEnv(actionYml, given = {}, githubToken) {
  const declared = /** @type {Record<string, { default?: unknown }>} */ (parseYaml(fs.readFileSync(actionYml, 'utf8'))?.inputs ?? {});
  /** @type {Record<string, string>} */
  const values = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (spec?.default === undefined || spec.default === null) continue;
    let value = String(spec.default);
    value = value.replace(/\$\{\{\s*github\.token\s*\}\}/g, githubToken);
    if (value.includes('${{')) throw new Error(`runAction: input '${name}' has a default expression the harness can't evaluate: ${spec.default}`);
    values[name] = value;
  }
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || value === null) continue;
    values[name] = String(value);
  }
  /** @type {Record<string, string>} */
  const env = {};
  // Same mapping as core.getInput: spaces become '_', hyphens stay, upper case.
  for (const [name, value] of Object.entries(values)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return { env, unexpected: Object.keys(given).filter((n) => !(n in declared)) };
}

/** HEAD of the workspace (what GITHUB_SHA would be), or zeros when it isn't a git repo. @param {string} workspace */
async function headOf(workspace) {
  const { code, stdout } = await gitTry(workspace, ['rev-parse', 'HEAD']).catch(() => ({ code: 1, stdout: '' }));
  return code === 0 ? stdout.trim() : '0'.repeat(40);
}

/**
 * The runner's side of one step: the event payload and fresh file-command files in RUNNER_TEMP, a fresh HOME, and
 * the environment the runner would give the action (INPUT_* with action.yml defaults included).
 * @param {RunActionOptions} options
 */
export async function prepareStep(options) {
  const actionYml = options.actionYml ?? path.join(REPO_ROOT, 'action.yml');
  const runnerTemp = options.runnerTemp ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'sim-runner-temp-')));
  await fsp.mkdir(runnerTemp, { recursive: true });
  const payload = /** @type {any} */ (options.payload ?? {});

  // The event payload and fresh, empty file-command files (unique per run, like the runner's).
  const eventPath = path.join(runnerTemp, 'event.json');
  await fsp.writeFile(eventPath, JSON.stringify(payload, null, 2));
  const commandsDir = path.join(runnerTemp, '_runner_file_commands');
  await fsp.mkdir(commandsDir, { recursive: true });
  const id = crypto.randomUUID();
  const files = {
    output: path.join(commandsDir, `set_output_${id}`),
    summary: path.join(commandsDir, `step_summary_${id}`),
    state: path.join(commandsDir, `save_state_${id}`),
    env: path.join(commandsDir, `set_env_${id}`),
  };
  for (const file of Object.values(files)) await fsp.writeFile(file, '');

  // A fresh HOME: git and the SDK must not see the developer's config.
  const home = await fsp.mkdtemp(path.join(os.tmpdir(), 'sim-runner-home-'));

  const [owner] = options.repository.split('/');
  const prNumber = payload.pull_request?.number;
  const ref =
    options.ref ??
    (prNumber && /^pull_request/.test(options.eventName) ? `refs/pull/${prNumber}/merge` : `refs/heads/${payload.repository?.default_branch ?? 'main'}`);
  const actor = options.actor ?? payload.sender?.login ?? 'octocat';
  const inputs = inputEnv(actionYml, options.inputs, options.githubToken ?? 'ghs_default');

  /** @type {Record<string, string>} */
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: options.repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_API_URL: options.githubApiUrl ?? NOWHERE,
    GITHUB_SERVER_URL: options.serverUrl ?? NOWHERE,
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: options.runId ?? '1',
    GITHUB_RUN_ATTEMPT: options.runAttempt ?? '1',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_REF: ref,
    GITHUB_SHA: options.sha ?? (await headOf(options.workspace)),
    GITHUB_ACTOR: actor,
    GITHUB_TRIGGERING_ACTOR: actor,
    // The simulators answer at once and do not rate-limit: GitHub's request spacing would only make tests slow.
    TASKCAP_GITHUB_THROTTLE: 'off',
    ...(options.anthropicBaseUrl ? { ANTHROPIC_BASE_URL: options.anthropicBaseUrl } : {}),
    ...inputs.env,
  };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return { env, files, home, unexpectedInputs: inputs.unexpected };
}

/**
 * What a finished step left behind: its outputs, summary, state and exported env, parsed from the file-command
 * files; the step's HOME is removed.
 * @param {Awaited<ReturnType<typeof prepareStep>>} step
 * @param {{ exitCode: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, durationMs: number, timedOut: boolean }} ended
 * @returns {Promise<RunActionResult>}
 */
export async function collectStep(step, ended) {
  await fsp.rm(step.home, { recursive: true, force: true });
  const read = (/** @type {string} */ file) => fsp.readFile(file, 'utf8');
  return {
    ...ended,
    outputs: parseFileCommands(await read(step.files.output)),
    summary: await read(step.files.summary),
    state: parseFileCommands(await read(step.files.state)),
    exportedEnv: parseFileCommands(await read(step.files.env)),
    env: step.env,
    unexpectedInputs: step.unexpectedInputs,
  };
}

/**
 * Runs the action bundle like the runner does and collects everything it left behind.
 * @param {RunActionOptions} options
 * @returns {Promise<RunActionResult>}
 */
export async function runAction(options) {
  const entry = options.entry ?? path.join(REPO_ROOT, 'dist', 'index.js');
  const step = await prepareStep(options);
  const started = Date.now();
  const child = spawn(process.execPath, [entry], { cwd: options.workspace, env: step.env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {Buffer[]} */ const out = [];
  /** @type {Buffer[]} */ const err = [];
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => err.push(c));

  let timedOut = false;
  const killTimer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 120_000);
  const signalTimer =
    options.signalAfterMs !== undefined ? setTimeout(() => child.kill(options.signal ?? 'SIGTERM'), options.signalAfterMs) : undefined;

  /** @type {[number | null, NodeJS.Signals | null]} */
  const [exitCode, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve([code, sig]));
  });
  clearTimeout(killTimer);
  if (signalTimer) clearTimeout(signalTimer);
  return collectStep(step, {
    exitCode,
    signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    durationMs: Date.now() - started,
    timedOut,
  });
}

import { UserError } from '../util/errors.js';
import { isOneOf, RUN_MODES, SANDBOX_MODES, type RunMode, type SandboxMode } from '../vocabulary.js';
import type { ActionIO } from './io.js';
import { MODEL_ID } from '../config/models.js';
import { neverPassedToAgent } from '../tools/workbench.js';
import { parseProviderInputs, type ProviderInputs } from '../agent/providers/provider-inputs.js';

/** The action's inputs, typed and validated. This module is the only reader of `core.getInput`. */
export interface Inputs {
  /** Anthropic API key (masked). Required only when a run will call the model. */
  anthropicApiKey?: string;
  /** Token for the REST API and the push. */
  githubToken: string;
  /** Model id; the repo config's `model` and a class's `model` take precedence. */
  model: string;
  /** Repo config path, read from the default branch. */
  configPath: string;
  /** Command taskcap runs after the loop (outside the budget). */
  testCommand?: string;
  /** Hard cap on the billed cost of one run, USD. */
  maxCostUsd?: number;
  /** Wall-clock cap of the loop. */
  timeoutMinutes: number;
  /** Bot logins allowed to trigger, exact match. */
  allowedBots: string[];
  /** Run the loop, publish nothing. */
  dryRun: boolean;
  /** How agent commands are isolated: bubblewrap when possible (auto), always (required), never (off). */
  sandbox: SandboxMode;
  /** Extra globs the agent may not change (added to the built-in protected paths). */
  protectedPaths: string[];
  /** Environment variables passed to agent commands (names from `allowed-env`, values from the step's env). */
  allowedEnv: Record<string, string>;
  /** `run` (default) does the work; `report` summarizes the ledger instead. */
  mode: RunMode;
  /** Append each run to the `taskcap/ledger` branch. */
  ledger: boolean;
  /** Upload the run record as a workflow artifact. */
  uploadRecord: boolean;
  /** Issue that receives the report comment in report mode. */
  reportIssue?: number;
  /** Refuse new runs once this month's ledger spend reaches this (USD). */
  maxMonthlyCostUsd?: number;
  /** Where Claude is reached and how taskcap signs in there (provider, base-url, cloud and keyless inputs). */
  provider: ProviderInputs;
  /** Fan-out: the configured task a plan, shard or collect works on. */
  task?: string;
  /** Fan-out: the shard a matrix job runs (`shard: ${{ matrix.shard }}`). */
  shard?: string;
}

type Get = (name: string) => string;

const list = (raw: string) =>
  raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

function positiveNumber(name: string, raw: string, example: string): number {
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value) || value <= 0) {
    throw new UserError(`Input '${name}' must be a positive number, got '${raw}'. Example: ${name}: ${example}`);
  }
  return value;
}

function bounded(name: string, value: number, max: number): number {
  if (value > max) throw new UserError(`Input '${name}' must be at most ${max}, got '${value}'.`);
  return value;
}

function booleanInput(name: string, raw: string): boolean {
  if (raw === '') return false;
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  throw new UserError(`Input '${name}' must be true or false, got '${raw}'.`);
}

/** Parse inputs from a getter (core.getInput in the action; a map in tests) and the step's environment. */
export function parseInputs(get: Get, env: Record<string, string | undefined> = {}): Inputs {
  const modelRaw = get('model');
  if (modelRaw !== '' && !MODEL_ID.test(modelRaw)) {
    throw new UserError(`Input 'model' is not a model id, got '${modelRaw}'. Example: model: claude-opus-4-7`);
  }
  const maxCost = get('max-cost-usd');
  const timeout = get('timeout-minutes');
  return {
    anthropicApiKey: get('anthropic-api-key') || undefined,
    githubToken: githubToken(get('github-token')),
    model: modelRaw || 'claude-opus-4-7',
    configPath: configPath(get('config-path') || '.github/taskcap.yml'),
    testCommand: get('test-command') || undefined,
    maxCostUsd: maxCost === '' ? undefined : positiveNumber('max-cost-usd', maxCost, '2.50'),
    timeoutMinutes: timeout === '' ? 30 : bounded('timeout-minutes', positiveNumber('timeout-minutes', timeout, '30'), 1440),
    allowedBots: list(get('allowed-bots')),
    dryRun: booleanInput('dry-run', get('dry-run')),
    sandbox: sandboxMode(get('sandbox')),
    protectedPaths: list(get('protected-paths')),
    allowedEnv: allowedEnv(list(get('allowed-env')), env),
    mode: modeInput(get('mode')),
    ledger: booleanInput('ledger', get('ledger')),
    uploadRecord: booleanInput('upload-record', get('upload-record')),
    reportIssue: issueNumber(get('report-issue')),
    maxMonthlyCostUsd: get('max-monthly-cost-usd') === '' ? undefined : positiveNumber('max-monthly-cost-usd', get('max-monthly-cost-usd'), '200'),
    provider: parseProviderInputs(get),
    task: get('task') || undefined,
    shard: get('shard') || undefined,
  };
}

/**
 * The input defaults to the workflow's token, so an empty value was set that way: almost always a secret that does
 * not exist here. Without a token every API call fails, which would surface as a misleading permission refusal.
 */
function githubToken(raw: string): string {
  if (raw !== '') return raw;
  throw new UserError(
    "Input 'github-token' is empty. It defaults to the workflow's token (${{ github.token }}), so it was set to something empty: usually a secret that does not exist in this repository (`github-token: ${{ secrets.NAME }}`; secrets are also empty in workflows started from forks, and for Dependabot unless set as Dependabot secrets). Remove the input to use the workflow's token, or create the secret.",
  );
}

function modeInput(raw: string): RunMode {
  if (raw === '') return 'run';
  if (isOneOf(RUN_MODES, raw)) return raw;
  throw new UserError(`Input 'mode' must be one of ${RUN_MODES.join(', ')}; got '${raw}'.`);
}

function issueNumber(raw: string): number | undefined {
  if (raw === '') return undefined;
  if (/^#?\d+$/.test(raw) && Number(raw.replace('#', '')) > 0) return Number(raw.replace('#', ''));
  throw new UserError(`Input 'report-issue' must be an issue number such as 42, got '${raw}'.`);
}

function configPath(raw: string): string {
  if (raw.startsWith('/') || raw.split('/').includes('..') || raw.includes('\0')) {
    throw new UserError(`Input 'config-path' must be a path inside the repository, like .github/taskcap.yml; got '${raw}'.`);
  }
  return raw.replace(/^\.\//, '');
}

function sandboxMode(raw: string): SandboxMode {
  if (raw === '') return 'auto';
  if (isOneOf(SANDBOX_MODES, raw)) return raw;
  throw new UserError(`Input 'sandbox' must be ${SANDBOX_MODES.slice(0, -1).join(', ')} or ${SANDBOX_MODES[SANDBOX_MODES.length - 1]}, got '${raw}'.`);
}

function allowedEnv(names: string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`Input 'allowed-env' lists '${name}', which is not an environment variable name.`);
    if (neverPassedToAgent(name)) {
      throw new UserError(`Input 'allowed-env' lists '${name}': taskcap never passes its own credentials or runner variables to agent commands. Remove it.`);
    }
    if (env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}

/** Read the inputs from the runner and mask the secrets before anything can print them. */
export function readInputs(io: Pick<ActionIO, 'getInput' | 'setSecret'>, env: Record<string, string | undefined>): Inputs {
  const inputs = parseInputs((name) => io.getInput(name), env);
  if (inputs.anthropicApiKey) io.setSecret(inputs.anthropicApiKey);
  if (inputs.githubToken) io.setSecret(inputs.githubToken);
  if (inputs.provider.foundryApiKey) io.setSecret(inputs.provider.foundryApiKey);
  return inputs;
}

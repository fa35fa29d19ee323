import * as core from '@actions/core';
import { UserError } from './util/errors.js';

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
}

type Get = (name: string) => string;

function positiveNumber(name: string, raw: string, example: string): number {
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value) || value <= 0) {
    throw new UserError(`Input '${name}' must be a positive number, got '${raw}'. Example: ${name}: ${example}`);
  }
  return value;
}

function booleanInput(name: string, raw: string): boolean {
  if (raw === '') return false;
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  throw new UserError(`Input '${name}' must be true or false, got '${raw}'.`);
}

/** Parse inputs from a getter (core.getInput in the action; a map in tests). */
export function parseInputs(get: Get): Inputs {
  const modelRaw = get('model');
  if (modelRaw !== '' && !/^[a-z0-9][a-z0-9.@:_-]*$/i.test(modelRaw)) {
    throw new UserError(`Input 'model' is not a model id, got '${modelRaw}'. Example: model: claude-opus-4-7`);
  }
  const maxCost = get('max-cost-usd');
  const timeout = get('timeout-minutes');
  return {
    anthropicApiKey: get('anthropic-api-key') || undefined,
    githubToken: get('github-token'),
    model: modelRaw || 'claude-opus-4-7',
    configPath: get('config-path') || '.github/taskcap.yml',
    testCommand: get('test-command') || undefined,
    maxCostUsd: maxCost === '' ? undefined : positiveNumber('max-cost-usd', maxCost, '2.50'),
    timeoutMinutes: timeout === '' ? 30 : positiveNumber('timeout-minutes', timeout, '30'),
    allowedBots: get('allowed-bots')
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean),
    dryRun: booleanInput('dry-run', get('dry-run')),
  };
}

/** Read the inputs through @actions/core and mask the secrets before anything can print them. */
export function readInputs(): Inputs {
  const inputs = parseInputs((name) => core.getInput(name));
  if (inputs.anthropicApiKey) core.setSecret(inputs.anthropicApiKey);
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  return inputs;
}

import { BUILT_IN_CLASSES, DEFAULT_MAX_BUDGET, type ClassSpec } from './classes.js';
import type { Prices } from './models.js';
import type { FanoutSpec } from '../fanout/fanout-spec.js';

/** A task the config defines for `schedule` and `workflow_dispatch` runs. */
export interface ConfiguredTask {
  class: string;
  schedule?: string;
  /** What to do (empty for a sweep: each issue says what to do). */
  prompt: string;
  /** A fan-out task (work list or sweep, shards, pool): run by modes plan, shard and collect, never by `run`. */
  fanout?: FanoutSpec;
}

/** The repo config merged over the built-in defaults. */
export interface TaskcapConfig {
  model?: string;
  classes: Record<string, ClassSpec>;
  /** label → class */
  labels: Record<string, string>;
  tasks: Record<string, ConfiguredTask>;
  /** model id → prices (USD per million tokens), over the built-in table. */
  pricing: Record<string, Prices>;
  /**
   * A provider's model id or deployment name → the Claude model it serves (`models: { my-opus: claude-opus-4-7 }`),
   * for names taskcap cannot read a Claude model from (Foundry deployments, Bedrock application inference profiles).
   */
  models: Record<string, string>;
  /** Upper bound for budget overrides (`budget:` labels and `budget=` in commands). */
  maxBudget?: number;
  maxCostUsd?: number;
  /** Refuse new runs once the ledger's spend this calendar month reaches this (USD). */
  maxMonthlyCostUsd?: number;
  /** Instruction files for agents, read from the default branch (absent: AGENTS.md, CLAUDE.md, .github/copilot-instructions.md). */
  instructions?: string[];
}

/** The configuration when the repository has no config file. */
export function defaultConfig(): TaskcapConfig {
  // Maps without a prototype: a label called "constructor" or a task called "toString" is just a missing key.
  const map = <T>(entries: [string, T][] = []): Record<string, T> => Object.assign(Object.create(null) as Record<string, T>, Object.fromEntries(entries));
  const classes = map(Object.entries(structuredClone(BUILT_IN_CLASSES) as Record<string, ClassSpec>));
  const labels = map(Object.entries(classes).flatMap(([name, spec]) => (spec.label ? [[spec.label, name] as [string, string]] : [])));
  return { classes, labels, tasks: map(), pricing: map(), models: map() };
}

/**
 * The most an override (`budget:` label, `budget=` command, dispatch input) may ask for: the config's `max-budget`,
 * else the built-in ceiling, raised to the largest class budget the config sets (the maintainers chose that one).
 */
export function budgetCeiling(config: TaskcapConfig): { tokens: number; configured: boolean } {
  if (config.maxBudget !== undefined) return { tokens: config.maxBudget, configured: true };
  return { tokens: Math.max(DEFAULT_MAX_BUDGET, ...Object.values(config.classes).map((c) => c.budget)), configured: false };
}

import { BUILT_IN_CLASSES, type ClassSpec } from './classes.js';
import type { Prices } from './models.js';

/** A task the config defines for `schedule` and `workflow_dispatch` runs. */
export interface ConfiguredTask {
  class: string;
  schedule?: string;
  prompt: string;
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
  return { classes, labels, tasks: map(), pricing: map() };
}

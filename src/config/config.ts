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
}

/** The configuration when the repository has no config file. */
export function defaultConfig(): TaskcapConfig {
  const classes = structuredClone(BUILT_IN_CLASSES) as Record<string, ClassSpec>;
  const labels: Record<string, string> = {};
  for (const [name, spec] of Object.entries(classes)) if (spec.label) labels[spec.label] = name;
  return { classes, labels, tasks: {}, pricing: {} };
}

import type { ClassOutput } from '../vocabulary.js';
import type { Effort } from './models.js';

export interface ClassSpec {
  /** Loop-token budget (the task budget the model sees, and taskcap's hard cap). */
  budget: number;
  effort: Effort;
  /** The default label that selects the class. */
  label?: string;
  /** Overrides the run's model for this class. */
  model?: string;
  /** Overrides `max-cost-usd` for this class. */
  maxCostUsd?: number;
  output: ClassOutput;
}

/** The API rejects task budgets below this on every model that supports them. */
export const MIN_BUDGET = 20_000;

/** Built-in classes (contract v1). Budget guidance per class is in the README. */
export const BUILT_IN_CLASSES: Readonly<Record<string, ClassSpec>> = Object.freeze({
  fix: { budget: 50_000, effort: 'high', label: 'agent:fix', output: 'patch' },
  refactor: { budget: 40_000, effort: 'medium', label: 'agent:refactor', output: 'patch' },
  feature: { budget: 80_000, effort: 'high', label: 'agent:feature', output: 'patch' },
  migration: { budget: 200_000, effort: 'high', label: 'agent:migrate', output: 'patch' },
  explore: { budget: 150_000, effort: 'high', label: 'agent:explore', output: 'report' },
  research: { budget: 250_000, effort: 'high', label: 'agent:research', output: 'report' },
  review: { budget: 40_000, effort: 'medium', output: 'patch' },
});

/**
 * The ceiling for `budget:` labels, `budget=` commands and dispatch budgets when the config sets no `max-budget`:
 * the largest built-in class. A slip of one key (`budget:5m` for `5k`) cannot start a multi-million-token run.
 */
export const DEFAULT_MAX_BUDGET = 250_000;

/**
 * "60k", "60K", "2.5k", "60000" → tokens. Anything else is undefined: no other unit (a typo of `5m` for `5k` must
 * not ask for five million tokens), no separators, no fractions of a token.
 */
export function parseBudget(text: string): number | undefined {
  const m = /^\s*(?:(\d{1,9})|(\d{1,6}(?:\.\d{1,3})?)\s?k)\s*$/i.exec(text);
  if (!m) return undefined;
  const n = m[1] !== undefined ? Number(m[1]) : Math.round(Number(m[2]) * 1_000);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** How a budget is written in a label: `budget:80k` for whole thousands, else the number. */
export function budgetText(tokens: number): string {
  return tokens % 1_000 === 0 ? `${tokens / 1_000}k` : String(tokens);
}

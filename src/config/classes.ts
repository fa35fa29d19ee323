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

/** "60k", "60000", "1.5m" → tokens; anything else → undefined. */
export function parseBudget(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([km]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1_000 : m[2].toLowerCase() === 'm' ? 1_000_000 : 1);
  return Number.isFinite(n) ? Math.round(n) : undefined;
}

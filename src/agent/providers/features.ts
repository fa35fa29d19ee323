/** The optional parts of a request a platform may refuse, and what taskcap does instead (receipt and log wording). */
export type Feature = 'task-budget' | 'effort' | 'cache-control';
export const FEATURES: readonly Feature[] = ['task-budget', 'effort', 'cache-control'];

export const TASK_BUDGET_BETA = 'task-budgets-2026-03-13';

export const FEATURE_NAMES: Readonly<Record<Feature, string>> = { 'task-budget': 'the task budget', effort: 'effort', 'cache-control': 'top-level cache_control' };

export const INSTEAD: Readonly<Record<Feature, string>> = {
  'task-budget': 'the budget countdown comes in the tool results instead (the hard cap is unchanged)',
  effort: "the model's default effort applies",
  'cache-control': 'an explicit cache breakpoint on the newest block replaces automatic caching',
};

export const isFeature = (v: string): v is Feature => (FEATURES as readonly string[]).includes(v);

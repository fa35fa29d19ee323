import type { RunnerContext } from '../action/runner-context.js';

/** The run id as history rows and ledger lines name it: a re-run attempt gets its own row. */
export const runIdOf = (ctx: RunnerContext): string => (ctx.runAttempt > 1 ? `${ctx.runId}-${ctx.runAttempt}` : ctx.runId);

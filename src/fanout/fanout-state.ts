import { MIN_BUDGET } from '../config/classes.js';
import type { Status } from '../vocabulary.js';
import type { FanoutSpec } from './fanout-spec.js';

/**
 * The state of one fan-out task, kept as `fanout/<task>.json` on the `taskcap/ledger` branch: every unit with its
 * status, and the plans still being worked on (with each shard's units, budget share and runs). Plans, shards and
 * collects all change it through one leased push, as pure functions of the state they read, so a lost race is
 * simply re-applied to the newer state.
 *
 * A unit is `pending` until a plan hands it to a shard (`in-progress`); the plan's collect then makes it `done`,
 * or `failed` with the reason (it is planned again), or `parked` once it failed `max-attempts` times.
 */

export const STATE_VERSION = 1;
export const UNIT_STATUSES = ['pending', 'in-progress', 'done', 'failed', 'parked'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

export interface UnitState {
  status: UnitStatus;
  /** Shard runs that had this unit and did not finish it. */
  attempts: number;
  /** The plan that holds it (in progress) or finished it (done). */
  plan?: number;
  /** Why it is not done yet (failed, parked, back to pending). */
  reason?: string;
}

/** What one shard job did, from its run record: the figures the combined receipt adds up. */
export interface ShardRun {
  /** `<run id>` or `<run id>-<attempt>` of the shard's job. */
  run: string;
  url: string;
  at: string;
  status: Status;
  loopTokens: number;
  billed: { input: number; cacheWrite: number; cacheRead: number; output: number };
  costUsd: number;
  turns: number;
  /** The shard branch's tip after the run (undefined: nothing pushed). */
  commit?: string;
  /** Undefined when there was no test command. */
  testsPassed?: boolean;
  reason?: string;
  /** The units this run finished, as checked after it (never more than the shard's). */
  unitsDone: string[];
  /** A sweep shard's pull request. */
  pr?: { number: number; url: string };
}

/** What collect decided for a shard. */
export interface ShardOutcome {
  /** Merged into the task branch (the merge commit), or the PR a sweep shard opened. */
  merged?: string;
  /** Not merged, and why (conflict, tests, did not run). */
  reason?: string;
  conflict?: string[];
}

export interface ShardPlan {
  n: number;
  units: string[];
  budget: number;
  maxCostUsd?: number;
  /** Sweep: the issue, its class and who labeled it (the gate is applied to them). */
  issue?: { number: number; className: string; actor: string };
  runs: ShardRun[];
  outcome?: ShardOutcome;
}

export interface PlanRecord {
  id: number;
  /** The run that made it (a re-run of that run gets the same plan back). */
  run: string;
  at: string;
  pool: { tokens: number; maxCostUsd?: number };
  shards: ShardPlan[];
  /** Sweep issues left out, and why. */
  skipped?: { unit: string; reason: string }[];
  /** A collect at work (others wait for it); released when it ends. */
  collecting?: { run: string; at: string };
  collected?: { run: string; at: string };
}

export interface FanoutState {
  v: typeof STATE_VERSION;
  task: string;
  kind: 'migration' | 'sweep';
  nextPlan: number;
  units: Record<string, UnitState>;
  plans: PlanRecord[];
  /** Every shard run of the task so far, including plans no longer kept. */
  spent: { runs: number; loopTokens: number; costUsd: number };
  /** The migration's pull request, once collect opened it. */
  pr?: { number: number; url: string };
}

/** Collected plans kept for the record after newer ones (their shard runs stay in `spent`). */
const KEPT_COLLECTED_PLANS = 5;
/** A plan no collect finished within this time gives its units back (its shards' work is still collected later). */
export const PLAN_EXPIRES_MS = 24 * 3600_000;

export function emptyState(task: string, kind: FanoutState['kind']): FanoutState {
  return { v: STATE_VERSION, task, kind, nextPlan: 1, units: {}, plans: [], spent: { runs: 0, loopTokens: 0, costUsd: 0 } };
}

const roundUsd = (n: number) => Math.round(n * 1e8) / 1e8;

// ---------------------------------------------------------------------------------------------------------------
// Plan

/** One shard the planner wants: its units (in order of preference) and the budget it would like. */
export interface ShardWish {
  units: string[];
  budget: number;
  issue?: ShardPlan['issue'];
}

/**
 * Budget shares within the pool: shards take their wished budget in order while the pool lasts; the last may get
 * what is left if that is at least the smallest task budget (with proportionally fewer units). Σ budgets ≤ pool
 * tokens, and each shard's cost cap is its share of the pool's dollars in proportion to its budget (Σ ≤ pool
 * dollars). A shard's run is also held to the per-run cost cap of its class, whichever is lower.
 */
export function shareThePool(wishes: ShardWish[], pool: FanoutSpec['pool']): Omit<ShardPlan, 'n' | 'runs'>[] {
  const given: { wish: ShardWish; budget: number }[] = [];
  let left = pool.tokens;
  for (const wish of wishes) {
    const budget = Math.min(wish.budget, left);
    if (budget < MIN_BUDGET) break;
    given.push({ wish, budget });
    left -= budget;
  }
  const total = given.reduce((a, g) => a + g.budget, 0);
  return given.map(({ wish, budget }) => {
    // Floor to a millionth of a dollar so the shares never add up to more than the pool.
    const maxCostUsd = pool.maxCostUsd !== undefined ? Math.floor((pool.maxCostUsd * budget * 1e6) / total) / 1e6 : undefined;
    const units = wish.budget > budget ? wish.units.slice(0, Math.max(1, Math.ceil((wish.units.length * budget) / wish.budget))) : wish.units;
    return { units, budget, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}), ...(wish.issue ? { issue: wish.issue } : {}) };
  });
}

/**
 * Bring the units in line with the work list just computed: new units become pending; pending or failed units no
 * longer listed are gone (someone did them by hand, or the file went away); done and in-progress units stay.
 * Plans nobody collected within PLAN_EXPIRES_MS give their units without a run back.
 */
export function syncWorkList(state: FanoutState, workList: readonly string[], now: string): void {
  const listed = new Set(workList);
  for (const [unit, u] of Object.entries(state.units)) {
    if (!listed.has(unit) && (u.status === 'pending' || u.status === 'failed' || u.status === 'parked')) delete state.units[unit];
  }
  for (const unit of workList) state.units[unit] ??= { status: 'pending', attempts: 0 };
  for (const plan of state.plans) {
    if (plan.collected || Date.parse(now) - Date.parse(plan.at) < PLAN_EXPIRES_MS) continue;
    for (const shard of plan.shards) {
      if (shard.runs.length > 0) continue;
      for (const unit of shard.units) {
        const u = state.units[unit];
        if (u?.status === 'in-progress' && u.plan === plan.id) state.units[unit] = { ...u, status: 'pending', plan: undefined, reason: `plan ${plan.id} was never collected` };
      }
    }
  }
}

/**
 * Units a new plan may hand out, in work-list order: pending, or failed fewer than `maxAttempts` times (a parked
 * unit comes back when `max-attempts` is raised above its attempts).
 */
export function eligibleUnits(state: FanoutState, workList: readonly string[], maxAttempts: number): string[] {
  return workList.filter((unit) => retryable(state.units[unit], maxAttempts));
}

export const retryable = (u: UnitState | undefined, maxAttempts: number): boolean =>
  u !== undefined && (u.status === 'pending' || ((u.status === 'failed' || u.status === 'parked') && u.attempts < maxAttempts));

/**
 * The plan this workflow run already made: a re-run of the run (or of its plan job) gets it back instead of a second
 * plan, so re-running a run never does more than the run did. Progress comes from the next run.
 */
export function planOfRun(state: FanoutState, run: string): PlanRecord | undefined {
  return state.plans.find((p) => p.run === run);
}

/** Record a new plan: its shards numbered from 1, their units in progress. */
export function addPlan(state: FanoutState, shards: Omit<ShardPlan, 'n' | 'runs'>[], meta: { run: string; at: string; pool: PlanRecord['pool']; skipped?: PlanRecord['skipped'] }): PlanRecord {
  const plan: PlanRecord = { id: state.nextPlan, run: meta.run, at: meta.at, pool: meta.pool, shards: shards.map((s, i) => ({ ...s, n: i + 1, runs: [] })) };
  if (meta.skipped?.length) plan.skipped = meta.skipped;
  state.nextPlan += 1;
  for (const shard of plan.shards) {
    for (const unit of shard.units) {
      const u = state.units[unit] ?? { status: 'pending', attempts: 0 };
      state.units[unit] = { ...u, status: 'in-progress', plan: plan.id };
    }
  }
  state.plans.push(plan);
  return plan;
}

// ---------------------------------------------------------------------------------------------------------------
// Shard

/** What a shard job may still spend: its share minus what earlier attempts of the same shard spent. */
export function shareLeft(shard: ShardPlan): { tokens: number; costUsd?: number } {
  const tokens = shard.budget - shard.runs.reduce((a, r) => a + r.loopTokens, 0);
  const costUsd = shard.maxCostUsd === undefined ? undefined : roundUsd(shard.maxCostUsd - shard.runs.reduce((a, r) => a + r.costUsd, 0));
  return { tokens, ...(costUsd !== undefined ? { costUsd } : {}) };
}

/** Add a shard run (once: the same job reporting again changes nothing). Returns false when it was already there. */
export function addShardRun(state: FanoutState, planId: number, n: number, run: ShardRun): boolean {
  const shard = state.plans.find((p) => p.id === planId)?.shards.find((s) => s.n === n);
  if (!shard || shard.runs.some((r) => r.run === run.run)) return false;
  shard.runs.push(run);
  state.spent = { runs: state.spent.runs + 1, loopTokens: state.spent.loopTokens + run.loopTokens, costUsd: roundUsd(state.spent.costUsd + run.costUsd) };
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Collect

/** The shard's figures: the sum of its runs (a retried shard has several). */
export function shardTotals(shard: ShardPlan): Pick<ShardRun, 'loopTokens' | 'billed' | 'costUsd' | 'turns'> {
  const sum = (f: (r: ShardRun) => number) => shard.runs.reduce((a, r) => a + f(r), 0);
  return {
    loopTokens: sum((r) => r.loopTokens),
    billed: { input: sum((r) => r.billed.input), cacheWrite: sum((r) => r.billed.cacheWrite), cacheRead: sum((r) => r.billed.cacheRead), output: sum((r) => r.billed.output) },
    costUsd: roundUsd(sum((r) => r.costUsd)),
    turns: sum((r) => r.turns),
  };
}

/**
 * Collect a plan: each shard's units become done (those its merged work finished) or go back with the reason,
 * parked once they failed `maxAttempts` times. Pure; applying it twice changes nothing.
 */
export function applyCollect(state: FanoutState, planId: number, outcomes: ReadonlyMap<number, ShardOutcome>, meta: { run: string; at: string; maxAttempts: number }): void {
  const plan = state.plans.find((p) => p.id === planId);
  if (!plan || plan.collected) return;
  for (const shard of plan.shards) {
    const outcome = outcomes.get(shard.n) ?? { reason: 'the shard was not collected' };
    shard.outcome = outcome;
    const done = new Set(outcome.merged !== undefined ? shard.runs.flatMap((r) => r.unitsDone) : []);
    const ran = shard.runs.length > 0;
    for (const unit of shard.units) {
      const u = state.units[unit];
      // A unit some other plan took over (this plan expired) is that plan's now.
      if (!u || (u.plan !== plan.id && u.status !== 'pending')) continue;
      if (done.has(unit)) {
        state.units[unit] = { status: 'done', attempts: u.attempts, plan: plan.id };
        continue;
      }
      const reason = outcome.reason ?? shardReason(shard);
      // A shard that never ran did not try: its units are simply pending again.
      const attempts = ran ? u.attempts + 1 : u.attempts;
      const status: UnitStatus = !ran ? 'pending' : attempts >= meta.maxAttempts ? 'parked' : 'failed';
      state.units[unit] = { status, attempts, reason };
    }
  }
  plan.collected = { run: meta.run, at: meta.at };
  delete plan.collecting;
  const collected = state.plans.filter((p) => p.collected);
  const drop = new Set(collected.slice(0, Math.max(0, collected.length - KEPT_COLLECTED_PLANS)).map((p) => p.id));
  state.plans = state.plans.filter((p) => !drop.has(p.id));
}

/** Why a merged shard left a unit undone. */
function shardReason(shard: ShardPlan): string {
  const last = shard.runs[shard.runs.length - 1];
  if (!last) return `shard ${shard.n} did not run`;
  if (last.status === 'budget-exhausted') return `shard ${shard.n} reached its budget share (${shard.budget.toLocaleString('en-US')} tokens) before finishing it`;
  if (last.status === 'completed' || last.status === 'no-changes') return `shard ${shard.n} ended without finishing it`;
  return `shard ${shard.n} ${last.status}${last.reason ? `: ${last.reason}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Progress

export interface Progress {
  total: number;
  done: number;
  failed: number;
  parked: number;
  inProgress: number;
  pending: number;
  /** Units still to do: pending, in progress, failed (parked ones are not retried). */
  remaining: number;
  spent: FanoutState['spent'];
  forecast?: { costUsd: number; loopTokens: number; runs: number };
}

/**
 * Where the task stands, and a forecast: what the rest would cost at the mean spend per done unit so far (every
 * run counts, failed ones too), and how many more runs that is at this pool.
 */
export function progressOf(state: FanoutState, pool: FanoutSpec['pool']): Progress {
  const count = (s: UnitStatus) => Object.values(state.units).filter((u) => u.status === s).length;
  const [done, failed, parked, inProgress, pending] = (['done', 'failed', 'parked', 'in-progress', 'pending'] as const).map(count);
  const remaining = pending + inProgress + failed;
  const p: Progress = { total: done + failed + parked + inProgress + pending, done, failed, parked, inProgress, pending, remaining, spent: state.spent };
  if (done > 0 && remaining > 0) {
    const costUsd = roundUsd((state.spent.costUsd / done) * remaining);
    const loopTokens = Math.ceil((state.spent.loopTokens / done) * remaining);
    const runs = Math.max(Math.ceil(loopTokens / pool.tokens), pool.maxCostUsd ? Math.ceil(costUsd / pool.maxCostUsd) : 0, 1);
    p.forecast = { costUsd, loopTokens, runs };
  }
  return p;
}

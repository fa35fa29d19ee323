import { MIN_BUDGET } from '../config/classes.js';
import { CLOSING_CAUSES, isOneOf, STATUSES, type Status } from '../vocabulary.js';
import type { RunOutcome } from './run-outcome.js';

/**
 * The ledger: one JSON line per run in `ledger.jsonl` on the `taskcap/ledger` branch, and the summary built from it
 * (rendered by render/ledger-report.ts).
 * The report is how a team calibrates budgets from evidence: per class, how often runs hit the cap, what completed
 * runs actually spent, and a recommended budget.
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at rank ⌈p/100 · n⌉
 * (1-based). It always returns an observed value, which is what a budget should be compared against.
 */

export interface LedgerEntry {
  v: 1;
  /** ISO time the run ended. */
  at: string;
  /** owner/repo */
  repo: string;
  class: string;
  budget: number | null;
  model: string | null;
  outcome: Status;
  /** For `budget-exhausted`: which limit stopped the run. */
  limit: 'budget' | 'cost' | 'timeout' | null;
  loopTokens: number;
  billed: { input: number; cacheWrite: number; cacheRead: number; output: number; thinking: number };
  costUsd: number;
  turns: number;
  issue?: number;
  pr?: number;
  runId: string;
  /** A fan-out shard run: `<task>/<plan>/<shard>` (with `runId`, what makes the line unique). */
  shard?: string;
}

export interface LedgerMeta {
  at: string;
  repository: string;
  runId: string;
  issue?: number;
  pr?: number;
  shard?: string;
}

/** The class of a run that had none (a run that failed before its class was known). */
export const UNKNOWN_CLASS = 'unknown';

const usd = (n: number): number => Math.round(n * 1e6) / 1e6;

export function ledgerEntry(report: RunOutcome, meta: LedgerMeta): LedgerEntry {
  const b = report.billed;
  const limit = report.status === 'budget-exhausted' ? CLOSING_CAUSES.find((l) => l === report.endReason) : undefined;
  const entry: LedgerEntry = {
    v: 1,
    at: meta.at,
    repo: meta.repository,
    class: report.className ?? UNKNOWN_CLASS,
    budget: report.budget ?? null,
    model: report.model ?? null,
    outcome: report.status,
    limit: (limit as LedgerEntry['limit']) ?? null,
    loopTokens: report.loopTokens,
    billed: { input: b.input, cacheWrite: b.cacheWrite5m + b.cacheWrite1h, cacheRead: b.cacheRead, output: b.output, thinking: b.thinking },
    costUsd: usd(report.costUsd),
    turns: report.turns,
    runId: meta.runId,
  };
  const pr = meta.pr ?? report.pr?.number;
  if (meta.issue !== undefined) entry.issue = meta.issue;
  if (pr !== undefined) entry.pr = pr;
  if (meta.shard !== undefined) entry.shard = meta.shard;
  return entry;
}

/** One line of `ledger.jsonl` (JSON escapes line breaks inside strings, so it is always a single line). */
export function formatLedgerLine(entry: LedgerEntry): string {
  return JSON.stringify(entry);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1e10;
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e5;
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** One parsed line, or undefined when it is not a well-formed entry. */
export function validLedgerEntry(raw: unknown): LedgerEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const e = raw as Record<string, unknown>;
  if (!isShortString(e.at, 40) || Number.isNaN(Date.parse(e.at))) return undefined;
  if (!isShortString(e.repo, 200) || !isShortString(e.class, 100) || !isShortString(e.runId, 100)) return undefined;
  if (typeof e.outcome !== 'string' || !isOneOf(STATUSES, e.outcome)) return undefined;
  if (!isCount(e.loopTokens) || !isAmount(e.costUsd) || !isCount(e.turns)) return undefined;
  const billed = e.billed as Record<string, unknown> | null | undefined;
  if (typeof billed !== 'object' || billed === null) return undefined;
  const billedKeys = ['input', 'cacheWrite', 'cacheRead', 'output', 'thinking'] as const;
  if (!billedKeys.every((k) => isCount(billed[k]))) return undefined;
  const entry: LedgerEntry = {
    v: 1,
    at: e.at,
    repo: e.repo,
    class: e.class,
    budget: isCount(e.budget) ? e.budget : null,
    model: isShortString(e.model, 100) ? e.model : null,
    outcome: e.outcome as Status,
    limit: isOneOf(CLOSING_CAUSES, e.limit) ? (e.limit as LedgerEntry['limit']) : null,
    loopTokens: e.loopTokens,
    billed: Object.fromEntries(billedKeys.map((k) => [k, billed[k] as number])) as LedgerEntry['billed'],
    costUsd: e.costUsd,
    turns: e.turns,
    runId: e.runId,
  };
  if (isCount(e.issue)) entry.issue = e.issue;
  if (isCount(e.pr)) entry.pr = e.pr;
  if (isShortString(e.shard, 200)) entry.shard = e.shard;
  return entry;
}

/** Every well-formed line of a ledger file; blank, partial (a torn write) and garbage lines are skipped. */
export function parseLedger(text: string): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const line of String(text).split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const entry = validLedgerEntry(JSON.parse(trimmed));
      if (entry) entries.push(entry);
    } catch {
      // not JSON: skip the line
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile of already sorted (ascending) values; undefined for no values. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const MIN_RECOMMENDED_BUDGET = MIN_BUDGET;
/** Below this many completed runs the recommendation is shown but marked as not enough data. */
export const ENOUGH_COMPLETED_RUNS = 5;

/** max(20,000, p90 × 1.25 rounded up to the next 1,000). Integer arithmetic: p90 × 5 / 4 has no rounding error. */
export function recommendedBudget(p90: number): number {
  return Math.max(MIN_RECOMMENDED_BUDGET, Math.ceil((p90 * 5) / 4000) * 1000);
}

export interface ClassSummary {
  className: string;
  /** Runs that called the model (skipped and refused events are not runs). */
  runs: number;
  completed: number;
  /** Runs that stopped at a limit (budget, cost cap or time). */
  capHits: number;
  capHitRate: number;
  /** Nearest-rank p50/p90 of the loop tokens of completed runs. */
  p50?: number;
  p90?: number;
  meanCostUsd: number;
  totalCostUsd: number;
  /** The budget of the class's most recent run. */
  currentBudget?: number;
  recommendedBudget?: number;
  enoughData: boolean;
}

export type Bucket = 'day' | 'week';

export interface SpendPeriod {
  /** `2026-11-29` or `2026-W48`. */
  label: string;
  byClass: Record<string, number>;
  totalUsd: number;
}

export interface LedgerSummary {
  since?: string;
  now?: string;
  /** First and last run time in the window. */
  first?: string;
  last?: string;
  entries: number;
  runs: number;
  totalCostUsd: number;
  /** Most expensive first. */
  classes: ClassSummary[];
  bucket: Bucket;
  /** Contiguous periods from the first run to the last (at most MAX_PERIODS, the latest). */
  spend: SpendPeriod[];
}

/** The chart reads well up to this many periods; older ones are left out of the chart and its table. */
export const MAX_PERIODS = 60;

const isRun = (e: LedgerEntry): boolean => e.outcome !== 'skipped' && e.outcome !== 'refused';

function summarizeClass(className: string, entries: readonly LedgerEntry[]): ClassSummary {
  const runs = entries.filter(isRun);
  const completed = runs.filter((e) => e.outcome === 'completed');
  const capHits = runs.filter((e) => e.outcome === 'budget-exhausted').length;
  const sorted = completed.map((e) => e.loopTokens).sort((a, b) => a - b);
  const p90 = nearestRank(sorted, 90);
  const totalCostUsd = usd(entries.reduce((s, e) => s + e.costUsd, 0));
  const latest = [...entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).pop();
  const summary: ClassSummary = {
    className,
    runs: runs.length,
    completed: completed.length,
    capHits,
    capHitRate: runs.length ? capHits / runs.length : 0,
    p50: nearestRank(sorted, 50),
    p90,
    meanCostUsd: runs.length ? usd(totalCostUsd / runs.length) : 0,
    totalCostUsd,
    enoughData: completed.length >= ENOUGH_COMPLETED_RUNS,
  };
  if (latest?.budget !== null && latest?.budget !== undefined) summary.currentBudget = latest.budget;
  if (p90 !== undefined) summary.recommendedBudget = recommendedBudget(p90);
  return summary;
}

/**
 * Per-class statistics of the entries whose time falls in [since, now] (either bound optional, inclusive).
 * `bucket` picks days or ISO weeks for the spend series; by default days when the window spans ≤ 31 days.
 */
export function summarizeLedger(entries: readonly LedgerEntry[], opts: { now?: string; since?: string; bucket?: Bucket } = {}): LedgerSummary {
  const from = opts.since !== undefined ? Date.parse(opts.since) : -Infinity;
  const to = opts.now !== undefined ? Date.parse(opts.now) : Infinity;
  const inWindow = entries
    .filter((e) => {
      const t = Date.parse(e.at);
      return t >= from && t <= to;
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  const byClass = new Map<string, LedgerEntry[]>();
  for (const e of inWindow) byClass.set(e.class, [...(byClass.get(e.class) ?? []), e]);
  const classes = [...byClass.entries()]
    .map(([name, list]) => summarizeClass(name, list))
    .sort((a, b) => b.totalCostUsd - a.totalCostUsd || a.className.localeCompare(b.className));

  const first = inWindow[0]?.at;
  const last = inWindow[inWindow.length - 1]?.at;
  const spanDays = first && last ? (Date.parse(last) - Date.parse(first)) / 86_400_000 : 0;
  const bucket = opts.bucket ?? (spanDays <= 31 ? 'day' : 'week');
  return {
    since: opts.since,
    now: opts.now,
    first,
    last,
    entries: inWindow.length,
    runs: inWindow.filter(isRun).length,
    totalCostUsd: usd(inWindow.reduce((s, e) => s + e.costUsd, 0)),
    classes,
    bucket,
    spend: spendSeries(inWindow, bucket),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Time buckets (UTC)

const DAY_MS = 86_400_000;

/** `2026-11-29` */
export function dayLabel(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** ISO 8601 week, e.g. `2026-W48`: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekLabel(time: number): string {
  const d = new Date(time);
  const weekday = d.getUTCDay() || 7;
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + (4 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Midnight UTC of the day, or of the Monday of the week, holding `time`. */
function periodStart(time: number, bucket: Bucket): number {
  const d = new Date(time);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return bucket === 'day' ? midnight : midnight - ((d.getUTCDay() || 7) - 1) * DAY_MS;
}

function spendSeries(entries: readonly LedgerEntry[], bucket: Bucket): SpendPeriod[] {
  if (entries.length === 0) return [];
  const label = bucket === 'day' ? dayLabel : isoWeekLabel;
  const step = bucket === 'day' ? DAY_MS : 7 * DAY_MS;
  const firstStart = periodStart(Date.parse(entries[0].at), bucket);
  const lastStart = periodStart(Date.parse(entries[entries.length - 1].at), bucket);
  const periodsFrom = Math.max(firstStart, lastStart - (MAX_PERIODS - 1) * step);
  const periods: SpendPeriod[] = [];
  // Every period from the first to the last, empty ones included, so the x-axis is a true time axis.
  for (let t = periodsFrom; t <= lastStart; t += step) periods.push({ label: label(t), byClass: {}, totalUsd: 0 });
  for (const e of entries) {
    const index = Math.round((periodStart(Date.parse(e.at), bucket) - periodsFrom) / step);
    const period = periods[index];
    if (!period) continue;
    period.byClass[e.class] = usd((period.byClass[e.class] ?? 0) + e.costUsd);
    period.totalUsd = usd(period.totalUsd + e.costUsd);
  }
  return periods;
}

/** What runs cost in the UTC calendar month of `now`, up to `now`. */
export function monthToDateCost(entries: readonly LedgerEntry[], now: string): number {
  const end = Date.parse(now);
  if (Number.isNaN(end)) return 0;
  const d = new Date(end);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return usd(
    entries.reduce((sum, e) => {
      const t = Date.parse(e.at);
      return t >= start && t <= end ? sum + e.costUsd : sum;
    }, 0),
  );
}

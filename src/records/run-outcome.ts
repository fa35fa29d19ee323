import type { CostByCategory } from '../budget/meter.js';
import type { TokenCounts } from '../budget/usage.js';
import type { EndReason, PullOperation, SandboxKind, Status } from '../vocabulary.js';

export type { Status } from '../vocabulary.js';

export interface TestResult {
  command: string;
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The tail of the output (redacted), for the PR body. */
  outputTail: string;
  durationMs: number;
}

/** One model request as the receipt's chart and tables show it. */
export interface RequestRow {
  /** 1-based request number (a retried attempt keeps its request's number). */
  index: number;
  attempt: number;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  /** Loop tokens after this request. */
  loopAfter: number;
  costUsd: number;
  stopReason: string | null;
  durationMs: number;
  requestId?: string;
  error?: string;
}

/** One earlier (or this) run on the same issue/PR, kept in the receipt so totals survive re-runs. */
export interface HistoryRow {
  runId: string;
  /** ISO time the run ended. */
  at: string;
  status: Status;
  className?: string;
  budget?: number;
  loopTokens: number;
  costUsd: number;
  turns: number;
  /** How many runs the row stands for: above 1 only on the row that folds the oldest runs together. */
  runs?: number;
}

/** Everything a receipt, a job summary and the outputs are rendered from. Plain data. */
export interface RunOutcome {
  status: Status;
  /** One sentence saying why, when the run did not simply complete. */
  reason?: string;
  endReason?: EndReason;
  className?: string;
  budget?: number;
  model?: string;
  /** Where Claude was reached: anthropic, bedrock, vertex or foundry. */
  provider?: string;
  /** Request features the provider refused and taskcap switched off (task-budget, effort, cache-control). */
  switchedOff?: string[];
  effort?: string;
  maxCostUsd?: number;
  loopTokens: number;
  billed: TokenCounts;
  /** Cost per price category (same order as the billed counts), USD. */
  costByCategory: CostByCategory;
  costUsd: number;
  /** Model requests that returned a response. */
  turns: number;
  toolCalls: Record<string, number>;
  wallMs: number;
  summary?: string;
  /** True when taskcap wrote the summary because the model could not. */
  summaryIsFallback?: boolean;
  branch?: string;
  changedFiles: string[];
  pr?: { number: number; url: string; draft: boolean; operation: PullOperation };
  commentUrl?: string;
  tests?: TestResult;
  runUrl?: string;
  target?: string;
  dryRun: boolean;
  closingTurn?: 'none' | 'sent' | 'skipped';
  /** Per-request figures, in order (failed attempts that reported usage included). */
  requests: RequestRow[];
  /** What the same requests would have cost with no prompt caching (every prompt token at the input price). */
  uncachedCostUsd: number;
  /** Where agent commands ran; `note` says why there was no sandbox. */
  sandbox?: { kind: SandboxKind; note?: string };
  /** Hidden characters removed from the untrusted request text. */
  hiddenRemoved?: number;
  /** Paths the agent changed that were left out of the patch (protected, submodules, mode changes). */
  droppedPaths?: string[];
  /** The written result of an explore/research run (posted as a comment; also in the job summary). */
  result?: string;
  /** The commit this run pushed, if any. */
  commitSha?: string;
  /** Earlier runs on the same issue/PR (oldest first), this run last. */
  history?: HistoryRow[];
  /** The repository context in request 1 (reported apart from taskcap's own words). */
  context?: ContextFacts;
  /** Exact token counts asked for near a cap. */
  counting?: { calls: number; failures: number; stoppedBecause?: string };
  /** Why the cost cap stopped the work, and what it would have taken. */
  costStop?: { started: boolean; capUsd: number; promptTokens: number; neededUsd: number; smallestCapUsd?: number };
}

/** The repository context a run gave the model: from which commit, how large, what it held. */
export interface ContextFacts {
  sha: string;
  bytes: number;
  /** Tokens of tools + system + context together, when counted. */
  stableTokens?: number;
  instructionFiles: string[];
  nestedInstructionFiles: number;
  /** Files in the map's tree. */
  files: number;
  /** The map was filled toward the model's cache minimum (that minimum). */
  filledTo?: number;
}

export function emptyOutcome(status: Status, reason?: string): RunOutcome {
  return {
    status,
    reason,
    loopTokens: 0,
    billed: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0, thinking: 0 },
    costByCategory: { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 },
    costUsd: 0,
    turns: 0,
    toolCalls: {},
    wallMs: 0,
    changedFiles: [],
    dryRun: false,
    requests: [],
    uncachedCostUsd: 0,
  };
}

/** The action's outputs, as the contract names them. */
export function outputsOf(report: RunOutcome): Record<string, string> {
  return {
    status: report.status,
    'budget-class': report.className ?? '',
    budget: report.budget !== undefined ? String(report.budget) : '',
    'loop-tokens': String(report.loopTokens),
    'input-tokens': String(report.billed.input),
    'cache-write-tokens': String(report.billed.cacheWrite5m + report.billed.cacheWrite1h),
    'cache-read-tokens': String(report.billed.cacheRead),
    'output-tokens': String(report.billed.output),
    'cost-usd': report.costUsd.toFixed(6),
    turns: String(report.turns),
    branch: report.branch ?? '',
    'pr-number': report.pr ? String(report.pr.number) : '',
    'pr-url': report.pr?.url ?? '',
    'comment-url': report.commentUrl ?? '',
  };
}

const SEVERITY: Status[] = ['failed', 'budget-exhausted', 'completed', 'no-changes', 'refused', 'skipped'];

/** One report for a run of several tasks (a schedule with several due tasks): sums, and the most severe status. */
export function combineOutcomes(reports: RunOutcome[]): RunOutcome {
  if (reports.length === 1) return reports[0];
  if (reports.length === 0) return emptyOutcome('skipped', 'nothing to do');
  const status = SEVERITY.find((s) => reports.some((r) => r.status === s)) ?? 'skipped';
  const last = reports[reports.length - 1];
  const sum = (f: (r: RunOutcome) => number) => reports.reduce((a, r) => a + f(r), 0);
  return {
    ...last,
    status,
    reason: reports.map((r) => r.reason).filter(Boolean).join(' ') || undefined,
    loopTokens: sum((r) => r.loopTokens),
    budget: sum((r) => r.budget ?? 0),
    billed: {
      input: sum((r) => r.billed.input),
      cacheWrite5m: sum((r) => r.billed.cacheWrite5m),
      cacheWrite1h: sum((r) => r.billed.cacheWrite1h),
      cacheRead: sum((r) => r.billed.cacheRead),
      output: sum((r) => r.billed.output),
      thinking: sum((r) => r.billed.thinking),
    },
    costUsd: sum((r) => r.costUsd),
    uncachedCostUsd: sum((r) => r.uncachedCostUsd),
    costByCategory: {
      input: sum((r) => r.costByCategory.input),
      cacheWrite: sum((r) => r.costByCategory.cacheWrite),
      cacheRead: sum((r) => r.costByCategory.cacheRead),
      output: sum((r) => r.costByCategory.output),
    },
    requests: reports.flatMap((r) => r.requests),
    turns: sum((r) => r.turns),
    className: [...new Set(reports.map((r) => r.className).filter(Boolean))].join(',') || undefined,
  };
}

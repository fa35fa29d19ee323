import { FEATURE_NAMES, INSTEAD, isFeature } from '../agent/providers/features.js';
import { isProviderName, PROVIDER_LABELS } from '../agent/providers/provider-name.js';
import { MIN_BUDGET } from '../config/classes.js';
import { formatDuration, formatInt, formatPercent } from '../util/format.js';
import { loopChart, mermaidBlock } from './chart.js';
import { FOLDED_RUN_ID, foldHistory, historyBlock, historyTotals, runsOf } from '../records/history.js';
import { COMMENT_LIMIT, fitComment, formatMoney, inlineCode, plainText, safeUrl } from './markdown.js';
import type { HistoryRow, RequestRow, RunOutcome, Status } from '../records/run-outcome.js';

/**
 * The receipt comment: one sticky comment per issue/PR, edited in place. A reviewer must find in five seconds:
 * did it work, what did it cost, how much of the budget, where is the PR. Everything else sits below that, and the
 * bulky parts (the chart, per-request numbers) are collapsed.
 *
 * Pure functions of their inputs: no clock, no I/O. Untrusted text (reasons, commands, paths, steps) goes through
 * the helpers at the bottom of this file before it reaches markdown.
 */

/** The marker that identifies taskcap's receipt comment (one per issue/PR, edited in place). */
export const RECEIPT_MARKER = '<!-- taskcap:receipt -->';

const BAR_WIDTH = 20;

/** `██████████░░░░░░░░░░` for used/budget, clamped to the bar. */
export function budgetBar(used: number, budget: number): string {
  const filled = budget > 0 ? Math.max(0, Math.min(BAR_WIDTH, Math.round((used / budget) * BAR_WIDTH))) : 0;
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

/** `` `██████░░…` 31,204 / 50,000 loop tokens (62%) `` */
export function budgetLine(used: number, budget: number): string {
  return `\`${budgetBar(used, budget)}\` ${formatInt(used)} / ${formatInt(budget)} loop tokens (${formatPercent(used, budget)})`;
}

// ---------------------------------------------------------------------------------------------------------------
// The outcome line

type Limit = 'budget' | 'cost' | 'timeout';

/** Which limit stopped a budget-exhausted run, when the loop said so. */
function limitOf(r: RunOutcome): Limit | undefined {
  return r.endReason === 'budget' || r.endReason === 'cost' || r.endReason === 'timeout' ? r.endReason : undefined;
}

const LIMIT_LABEL: Record<Limit, string> = { budget: 'the token budget', cost: 'the cost cap', timeout: 'the time limit' };

/** Failure reasons longer than this go below the outcome line instead of into it. */
const REASON_IN_HEADING = 200;

function prLink(r: RunOutcome): string {
  if (!r.pr) return '';
  const url = safeUrl(r.pr.url);
  return url ? `[#${r.pr.number}](${url})` : `#${r.pr.number}`;
}

/** The first line of the receipt: the answer to "did it work, and where is the work". */
export function outcomeLine(r: RunOutcome): string {
  const pr = prLink(r);
  switch (r.status) {
    case 'completed':
      if (!r.pr) return r.dryRun ? '✅ Completed (dry run: nothing published)' : '✅ Completed';
      if (r.pr.operation === 'unchanged') return `✅ Completed · PR ${pr} unchanged`;
      return `✅ ${r.pr.draft ? 'Draft PR' : 'PR'} ${r.pr.operation === 'created' ? 'opened' : 'updated'} ${pr}${r.tests && !r.tests.passed ? ' (tests failed)' : ''}`;
    case 'budget-exhausted': {
      const limit = limitOf(r);
      const where = r.pr ? ` · partial work in draft PR ${pr}` : r.dryRun ? ' (dry run: nothing published)' : ' · no changes to deliver';
      return `⏸ Stopped at ${limit ? LIMIT_LABEL[limit] : 'a limit'}${where}`;
    }
    case 'no-changes':
      return r.pr ? `➖ No new changes · PR ${pr} unchanged` : '➖ No changes: finished without changing any file';
    case 'failed': {
      const reason = r.reason ? plainText(r.reason, Infinity) : '';
      const short = reason && reason.length <= REASON_IN_HEADING ? `: ${reason}` : '';
      return `❌ Failed${short}${r.pr ? ` · work so far in draft PR ${pr}` : ''}`;
    }
    case 'refused':
      return '⛔ Refused';
    case 'skipped':
      return '➖ Skipped';
  }
}

/** The reason as its own line, unless the outcome line already says it. */
function reasonLines(r: RunOutcome): string[] {
  if (!r.reason) return [];
  const reason = plainText(r.reason, 1_000);
  if (!reason) return [];
  if (r.status === 'failed' && plainText(r.reason, Infinity).length <= REASON_IN_HEADING) return [];
  return ['', `> ${reason}`];
}

function identityLine(c: { className?: string; model?: string; effort?: string; provider?: string }): string | undefined {
  const via = c.provider && isProviderName(c.provider) ? `via ${PROVIDER_LABELS[c.provider]}` : undefined;
  const parts = [c.className && `**${plainText(c.className, 40)}**`, c.model && inlineCode(c.model, 100), via, c.effort && `effort ${plainText(c.effort, 20)}`];
  const shown = parts.filter(Boolean);
  return shown.length ? shown.join(' · ') : undefined;
}

/** What the provider did not take, and what taskcap did instead. */
function switchedOffLines(r: RunOutcome): string[] {
  const features = (r.switchedOff ?? []).filter(isFeature);
  if (features.length === 0) return [];
  const who = r.provider && isProviderName(r.provider) ? PROVIDER_LABELS[r.provider] : 'The provider';
  return ['', ...features.map((f) => `> ${who} does not take ${FEATURE_NAMES[f]} here: ${INSTEAD[f]}.`)];
}

// ---------------------------------------------------------------------------------------------------------------
// What it would take to finish

/** ≈ 1.5× the budget, rounded up to 10k: enough room for most runs that stopped at the cap to finish. */
export function suggestedBudget(budget: number): number {
  return Math.max(MIN_BUDGET, Math.ceil((budget * 1.5) / 10_000) * 10_000);
}

/** `80000` → `budget:80k` (the label form taskcap reads). */
export function budgetLabelFor(tokens: number): string {
  return tokens % 1000 === 0 ? `budget:${tokens / 1000}k` : `budget:${tokens}`;
}

function toFinishLines(r: RunOutcome): string[] {
  if (r.status !== 'budget-exhausted') return [];
  const limit = limitOf(r) ?? 'budget';
  const stop = r.costStop;
  let advice: string;
  if (limit === 'cost' && stop && !stop.started) {
    // Nothing was done, so there is nothing to continue: say what lets the run start.
    return ['', `**To start:** set \`max-cost-usd\` to at least ${formatMoney(stop.smallestCapUsd ?? 0)}; the cap of ${formatMoney(stop.capUsd)} does not cover the first request.`];
  }
  if (limit === 'cost' && stop) {
    advice = `raise \`max-cost-usd\` and re-run to continue from the branch (a fresh conversation, so its first steps cost less than this run's last one, which needed up to ${formatMoney(stop.neededUsd)}); Claude's summary says what is left.`;
  } else if (limit === 'cost' && r.turns === 0) {
    // Nothing was done, so there is nothing to continue: the cap is below what the first request could cost.
    advice = `raise \`max-cost-usd\`${r.maxCostUsd !== undefined ? ` (${formatMoney(r.maxCostUsd)})` : ''}: it is below what the first request could cost, so no request was sent.`;
  } else if (limit === 'cost') {
    advice = 're-run to continue from the branch, or raise `max-cost-usd`.';
  } else if (limit === 'timeout') {
    advice = 're-run to continue from the branch, or raise `timeout-minutes`.';
  } else {
    const label = r.budget ? ` such as \`${budgetLabelFor(suggestedBudget(r.budget))}\`` : '';
    advice = `re-run to continue from the branch, or add a \`budget:\` label${label} for more room.`;
  }
  return ['', `**To finish:** ${advice}`];
}

// ---------------------------------------------------------------------------------------------------------------
// Billed tokens and dollars

function billedLines(r: RunOutcome): string[] {
  const b = r.billed;
  const c = r.costByCategory;
  const writes = b.cacheWrite5m + b.cacheWrite1h;
  const total = b.input + writes + b.cacheRead + b.output;
  const thinking = b.thinking > 0 ? ` (incl. ${formatInt(b.thinking)} thinking, ${formatPercent(b.thinking, b.output)})` : '';
  const lines = [
    '',
    '| billed | tokens | cost |',
    '|---|---:|---:|',
    `| Input (uncached) | ${formatInt(b.input)} | ${formatMoney(c.input)} |`,
    `| Cache writes | ${formatInt(writes)} | ${formatMoney(c.cacheWrite)} |`,
    `| Cache reads | ${formatInt(b.cacheRead)} | ${formatMoney(c.cacheRead)} |`,
    `| Output${thinking} | ${formatInt(b.output)} | ${formatMoney(c.output)} |`,
    `| **Total** | **${formatInt(total)}** | **${formatMoney(r.costUsd)}** |`,
  ];
  const caching = cachingLine(r);
  return caching ? [...lines, '', caching] : lines;
}

/** What prompt caching saved (or, on very short runs, cost extra) against sending every prompt token uncached. */
export function cachingLine(r: Pick<RunOutcome, 'costUsd' | 'uncachedCostUsd'>): string | undefined {
  if (!(r.uncachedCostUsd > 0)) return undefined;
  const saved = r.uncachedCostUsd - r.costUsd;
  const share = formatPercent(Math.abs(saved), r.uncachedCostUsd);
  return saved >= 0
    ? `Caching saved ${formatMoney(saved)} (${share}) versus no caching.`
    : `Caching cost ${formatMoney(-saved)} (${share}) more than no caching (cache writes did not pay off on a run this short).`;
}

// ---------------------------------------------------------------------------------------------------------------
// The facts line

const TOOL_LABEL: Record<string, string> = { bash: 'bash', str_replace_based_edit_tool: 'editor' };

/** Tool names beyond this many (a model can name any tool) are counted together. */
const SHOWN_TOOLS = 4;

/** `bash ×7 · editor ×4`, most used first. */
export function toolCallsText(toolCalls: Record<string, number>): string {
  const used = Object.entries(toolCalls)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (used.length === 0) return 'no tool calls';
  const shown = used.slice(0, SHOWN_TOOLS).map(([name, n]) => `${TOOL_LABEL[name] ?? plainText(name, 40)} ×${formatInt(n)}`);
  const rest = used.slice(SHOWN_TOOLS).reduce((sum, [, n]) => sum + n, 0);
  return [...shown, ...(rest ? [`other tools ×${formatInt(rest)}`] : [])].join(' · ');
}

function testsText(t: NonNullable<RunOutcome['tests']>): string {
  const command = inlineCode(t.command, 120);
  if (t.passed) return `tests ✅ ${command}`;
  return `tests ❌ ${command} (${t.timedOut ? 'timed out' : `exit ${t.exitCode ?? 'unknown'}`})`;
}

const SHOWN_DROPPED_PATHS = 5;

function droppedText(paths: readonly string[]): string {
  const shown = paths.slice(0, SHOWN_DROPPED_PATHS).map((p) => inlineCode(p, 80));
  const more = paths.length > SHOWN_DROPPED_PATHS ? ` and ${formatInt(paths.length - SHOWN_DROPPED_PATHS)} more` : '';
  return `${formatInt(paths.length)} path${paths.length === 1 ? '' : 's'} left out of the patch: ${shown.join(', ')}${more}`;
}

/** Where the agent's commands ran, in the receipt's words. */
function sandboxText(s: NonNullable<RunOutcome['sandbox']>): string {
  return s.kind === 'bubblewrap' ? 'bubblewrap sandbox' : (s.note ?? 'host (no sandbox)');
}

function factsLine(r: RunOutcome): string {
  const runUrl = safeUrl(r.runUrl);
  const failedAttempts = r.requests.filter((q) => q.error !== undefined).length;
  const facts = [
    `${formatInt(r.turns)} request${r.turns === 1 ? '' : 's'}${failedAttempts ? ` (+${formatInt(failedAttempts)} failed attempt${failedAttempts === 1 ? '' : 's'})` : ''}`,
    toolCallsText(r.toolCalls),
    formatDuration(r.wallMs),
    // Without a cost cap only the token budget bounds the bill (cache reads and retries are billed on top of it).
    r.maxCostUsd !== undefined ? `cost cap ${formatMoney(r.maxCostUsd)}` : '⚠️ no cost cap: set `max-cost-usd`',
    r.tests ? testsText(r.tests) : undefined,
    r.sandbox ? plainText(sandboxText(r.sandbox), 60) : undefined,
    r.hiddenRemoved ? `${formatInt(r.hiddenRemoved)} hidden character${r.hiddenRemoved === 1 ? '' : 's'} removed from the task text` : undefined,
    r.droppedPaths?.length ? droppedText(r.droppedPaths) : undefined,
    r.summaryIsFallback ? 'summary written by taskcap (Claude wrote none)' : undefined,
    r.dryRun ? 'dry run' : undefined,
    r.pr ? `PR ${prLink(r)}` : r.branch && !r.dryRun ? `branch ${inlineCode(r.branch, 100)}` : undefined,
    runUrl ? `[run](${runUrl})` : undefined,
  ];
  return facts.filter(Boolean).join(' · ');
}

// ---------------------------------------------------------------------------------------------------------------
// The running total across runs

const STATUS_TEXT: Record<Status, string> = {
  completed: '✅ completed',
  'budget-exhausted': '⏸ stopped at a limit',
  'no-changes': '➖ no changes',
  failed: '❌ failed',
  refused: '⛔ refused',
  skipped: '➖ skipped',
};

/** `https://github.com/o/r/actions/runs/` from this run's link, to link earlier runs by id. */
function runsBase(runUrl: string | undefined): string | undefined {
  const m = safeUrl(runUrl)?.match(/^(https?:\/\/\S+?\/actions\/runs\/)\d+/);
  return m?.[1];
}

/** The run's end time (UTC, to the minute), linked to the run when its id is a GitHub run id. */
function runCell(row: HistoryRow, base: string | undefined, isThisRun: boolean): string {
  if (row.runId === FOLDED_RUN_ID) return `${formatInt(runsOf(row))} earlier runs`;
  const label = `${row.at.slice(0, 10)} ${row.at.slice(11, 16)}`;
  const id = row.runId.match(/^(\d+)(?:-(\d+))?$/);
  const link = base && id ? `[${label}](${base}${id[1]}${id[2] ? `/attempts/${id[2]}` : ''})` : label;
  return isThisRun ? `${link} (this run)` : link;
}

/** One row per run (the oldest folded beyond `maxRows`), and a total row. Nothing when this is the only run. */
function historyLines(r: RunOutcome, maxRows: number): string[] {
  const rows = r.history ?? [];
  const totals = historyTotals(rows);
  if (totals.runs < 2) return [];
  const base = runsBase(r.runUrl);
  const shown = foldHistory(rows, maxRows);
  const target = r.target?.startsWith('#') ? plainText(r.target, 20) : 'this task';
  return [
    '',
    `**All runs on ${target}**`,
    '',
    '| run | class | status | loop tokens | cost |',
    '|---|---|---|---:|---:|',
    ...shown.map(
      (row, i) =>
        `| ${runCell(row, base, i === shown.length - 1)} | ${row.runId === FOLDED_RUN_ID ? '' : plainText(row.className ?? '', 40)} | ${row.runId === FOLDED_RUN_ID ? '' : STATUS_TEXT[row.status]} | ${formatInt(row.loopTokens)} | ${formatMoney(row.costUsd)} |`,
    ),
    `| **Total (${formatInt(totals.runs)} runs)** | | | **${formatInt(totals.loopTokens)}** | **${formatMoney(totals.costUsd)}** |`,
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Per-request numbers

export interface RequestColumn {
  header: string;
  right?: boolean;
  cell: (row: RequestRow) => string;
}

export const REQUEST_COLUMNS = {
  request: { header: 'request', right: true, cell: (q) => String(q.index) },
  attempt: { header: 'attempt', right: true, cell: (q) => String(q.attempt) },
  input: { header: 'input', right: true, cell: (q) => formatInt(q.input) },
  cacheRead: { header: 'cache read', right: true, cell: (q) => formatInt(q.cacheRead) },
  cacheWrite: { header: 'cache write', right: true, cell: (q) => formatInt(q.cacheWrite) },
  output: { header: 'output', right: true, cell: (q) => formatInt(q.output) },
  loopAfter: { header: 'loop after', right: true, cell: (q) => formatInt(q.loopAfter) },
  cost: { header: 'cost', right: true, cell: (q) => formatMoney(q.costUsd) },
  stopReason: { header: 'stop reason', cell: (q) => (q.stopReason ? plainText(q.stopReason, 40) : q.error ? 'error' : '—') },
  duration: { header: 'duration', right: true, cell: (q) => formatDuration(q.durationMs) },
  requestId: { header: 'request id', cell: (q) => (q.requestId && /^[\w-]{1,128}$/.test(q.requestId) ? `\`${q.requestId}\`` : '') },
} satisfies Record<string, RequestColumn>;

/** A markdown table of the first `maxRows` requests, with a line saying how many more there were. */
export function requestTable(requests: readonly RequestRow[], columns: readonly RequestColumn[], maxRows: number, moreNote = ''): string[] {
  const shown = requests.slice(0, Math.max(0, maxRows));
  const lines = [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `|${columns.map((c) => (c.right ? '---:' : '---')).join('|')}|`,
    ...shown.map((q) => `| ${columns.map((c) => c.cell(q)).join(' | ')} |`),
  ];
  const hidden = requests.length - shown.length;
  if (hidden > 0) lines.push('', `… and ${formatInt(hidden)} more request row${hidden === 1 ? '' : 's'}${moreNote}.`);
  return lines;
}

const RECEIPT_REQUEST_COLUMNS: RequestColumn[] = [
  REQUEST_COLUMNS.request,
  REQUEST_COLUMNS.input,
  REQUEST_COLUMNS.cacheRead,
  REQUEST_COLUMNS.cacheWrite,
  REQUEST_COLUMNS.output,
  REQUEST_COLUMNS.loopAfter,
  REQUEST_COLUMNS.cost,
];

/** What the model got about the repository, and the exact counts asked for: sizes, never content. */
export function contextLines(r: Pick<RunOutcome, 'context' | 'counting'>): string[] {
  const lines: string[] = [];
  const c = r.context;
  if (c) {
    const tokens = c.stableTokens !== undefined ? `; ${formatInt(c.stableTokens)} tokens with the tools and the system prompt` : '';
    const instructions = c.instructionFiles.length
      ? `instructions from ${c.instructionFiles.map((f) => inlineCode(f, 60)).join(', ')}`
      : 'no instruction files';
    const nested = c.nestedInstructionFiles ? ` (+${formatInt(c.nestedInstructionFiles)} nested, listed by path)` : '';
    const filled = c.filledTo ? `, filled to the ${formatInt(c.filledTo)}-token cache minimum` : '';
    lines.push(`Repository context (default branch at \`${c.sha.slice(0, 7)}\`): ${formatInt(c.bytes)} bytes${tokens}; ${instructions}${nested}, a map of ${formatInt(c.files)} files${filled}.`);
  }
  const n = r.counting;
  if (n && n.calls > 0) {
    lines.push(`Exact token counts near the caps: ${formatInt(n.calls)}${n.failures ? ` (${formatInt(n.failures)} failed; byte bounds after that)` : ''}.`);
  }
  return lines;
}

function chartDetails(r: RunOutcome, maxRows: number): string[] {
  if (r.requests.length === 0) return [];
  const context = contextLines(r);
  return [
    '',
    '<details><summary>Loop tokens per request</summary>',
    '',
    ...(context.length ? [...context, ''] : []),
    mermaidBlock(loopChart(r.requests, r.budget)),
    '',
    ...requestTable(r.requests, RECEIPT_REQUEST_COLUMNS, maxRows, ' (all of them are in the job summary of the run)'),
    '',
    '</details>',
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The receipt

/** How much detail a rendering carries; the receipt steps down through these until it fits. */
export interface Detail {
  requestRows: number;
  historyRows: number;
  hiddenHistoryRows: number;
}

/** Ordered from full to minimal: drop per-request rows first, then summarize the oldest runs. */
const RECEIPT_DETAIL_LADDER: Detail[] = [
  { requestRows: 100, historyRows: 20, hiddenHistoryRows: 200 },
  { requestRows: 30, historyRows: 20, hiddenHistoryRows: 200 },
  { requestRows: 0, historyRows: 20, hiddenHistoryRows: 200 },
  { requestRows: 0, historyRows: 10, hiddenHistoryRows: 100 },
  { requestRows: 0, historyRows: 5, hiddenHistoryRows: 20 },
];

/** Everything a reader sees, shared by the receipt and the job summary. */
export function receiptVisibleLines(r: RunOutcome, detail: Pick<Detail, 'historyRows'>): string[] {
  const lines = [`### ${outcomeLine(r)}`];
  const identity = identityLine(r);
  if (identity) lines.push(identity);
  if (r.budget) lines.push('', budgetLine(r.loopTokens, r.budget));
  lines.push(...switchedOffLines(r), ...reasonLines(r), ...toFinishLines(r), ...billedLines(r), '', factsLine(r), ...historyLines(r, detail.historyRows));
  return lines;
}

function receiptAt(r: RunOutcome, detail: Detail): string {
  const lines = [RECEIPT_MARKER, ...receiptVisibleLines(r, detail), ...chartDetails(r, detail.requestRows)];
  // Last, always: readHistory only trusts a block that ends the comment.
  if (r.history) lines.push('', historyBlock(foldHistory(r.history, detail.hiddenHistoryRows)));
  return lines.join('\n');
}

/** The receipt comment body: did it work, what did it cost, how much of the budget, where is the PR. */
export function renderReceipt(r: RunOutcome): string {
  return renderWithin(RECEIPT_DETAIL_LADDER, (d) => receiptAt(r, d));
}

/** The most detailed rendering that fits the limit; the least detailed one cut to fit as a last resort. */
export function renderWithin(ladder: readonly Detail[], render: (d: Detail) => string, limit = COMMENT_LIMIT): string {
  let body = '';
  for (const detail of ladder) {
    body = render(detail);
    if (body.length <= limit) return body;
  }
  return fitComment(body, limit);
}

// ---------------------------------------------------------------------------------------------------------------
// The working receipt (live progress)

export interface WorkingProgress {
  className?: string;
  budget?: number;
  model?: string;
  provider?: string;
  effort?: string;
  loopTokens: number;
  costUsd: number;
  /** Requests made so far. */
  requests: number;
  /** What the agent is doing now, e.g. the command line it runs. Untrusted: shown as inline code, sanitized. */
  step?: string;
  runUrl?: string;
  /** Earlier runs on this issue/PR (oldest first), carried over so a crash mid-run keeps their totals. */
  history?: HistoryRow[];
}

/** The receipt while the loop runs: the bar at the current spend and the current step. */
export function renderWorkingReceipt(p: WorkingProgress): string {
  const step = p.step ? inlineCode(p.step, 80) : '';
  const lines = [RECEIPT_MARKER, `### ⏳ Working…${step ? ` ${step}` : ''}`];
  const identity = identityLine(p);
  if (identity) lines.push(identity);
  if (p.budget) lines.push('', budgetLine(p.loopTokens, p.budget));
  const runUrl = safeUrl(p.runUrl);
  const facts = [`${formatInt(p.requests)} request${p.requests === 1 ? '' : 's'}`, `${formatMoney(p.costUsd)} so far`, runUrl ? `[run](${runUrl})` : undefined];
  lines.push('', facts.filter(Boolean).join(' · '));
  const earlier = p.history ?? [];
  if (earlier.length) {
    const t = historyTotals(earlier);
    lines.push('', `Earlier runs here: ${formatInt(t.runs)} · ${formatInt(t.loopTokens)} loop tokens · ${formatMoney(t.costUsd)}.`);
  }
  // The block is written even when empty, so the comment always ends with taskcap's own block.
  return renderWithin(
    [200, 50, 10].map((hidden) => ({ requestRows: 0, historyRows: 0, hiddenHistoryRows: hidden })),
    (d) => [...lines, '', historyBlock(foldHistory(earlier, d.hiddenHistoryRows))].join('\n'),
  );
}

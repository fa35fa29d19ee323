import type { EndReason } from '../../src/agent/loop.js';
import type { HistoryRow, RequestRow, RunReport } from '../../src/report/run-report.js';

/**
 * Hand-made run reports with realistic figures. Requests are scripted as (output, new content) pairs and every
 * figure is derived from them the way the meter does it, so the fixtures add up: automatic caching re-reads the
 * previous prompt and writes what is new, loop tokens = Σ output + Σ new content, Opus 4.7 prices.
 */

const PRICE = { input: 5, cacheWrite: 6.25, cacheRead: 0.5, output: 25 }; // USD per million tokens

export const RUN_URL = 'https://github.com/acme/slugkit/actions/runs/11934834502';
export const PR_URL = 'https://github.com/acme/slugkit/pull/12';

export interface Step {
  output: number;
  thinking?: number;
  /** Tokens the request adds to the prompt beyond the previous prompt and output (tool results, notes). */
  newContent: number;
  stopReason?: string | null;
  durationMs?: number;
  attempt?: number;
  error?: string;
}

interface Scripted {
  rows: RequestRow[];
  billed: RunReport['billed'];
  costByCategory: RunReport['costByCategory'];
  costUsd: number;
  uncachedCostUsd: number;
  loopTokens: number;
}

/** Rows and totals for a scripted run whose first prompt (system, tools, issue) is `firstPrompt` tokens. */
export function script(steps: Step[], firstPrompt = 9_840): Scripted {
  const rows: RequestRow[] = [];
  const billed = { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0, thinking: 0 };
  const cost = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  let uncached = 0;
  let loop = 0;
  let prevPrompt = 0;
  let prevOutput = 0;
  let index = 0;
  steps.forEach((s, k) => {
    const attempt = s.attempt ?? 1;
    if (attempt === 1) index += 1;
    const input = 3;
    // A retried attempt re-sends the same prompt, which its failed attempt already wrote to the cache.
    const retry = attempt > 1;
    const prompt = k === 0 ? firstPrompt : retry ? prevPrompt : prevPrompt + prevOutput + s.newContent;
    const cacheRead = k === 0 ? 0 : retry ? prevPrompt - input : prevPrompt;
    const cacheWrite = prompt - cacheRead - input;
    loop += s.output + (k === 0 ? 0 : Math.max(0, prompt - prevPrompt - prevOutput));
    const c = {
      input: (input * PRICE.input) / 1e6,
      cacheWrite: (cacheWrite * PRICE.cacheWrite) / 1e6,
      cacheRead: (cacheRead * PRICE.cacheRead) / 1e6,
      output: (s.output * PRICE.output) / 1e6,
    };
    const rowCost = c.input + c.cacheWrite + c.cacheRead + c.output;
    rows.push({
      index,
      attempt,
      input,
      cacheRead,
      cacheWrite,
      output: s.output,
      loopAfter: loop,
      costUsd: rowCost,
      stopReason: s.stopReason === undefined ? 'tool_use' : s.stopReason,
      durationMs: s.durationMs ?? 4_000 + ((k * 1_733) % 9_000),
      requestId: `req_011CV${String(1000 + k).padStart(6, '0')}xKq7`,
      ...(s.error ? { error: s.error } : {}),
    });
    billed.input += input;
    billed.cacheWrite5m += cacheWrite;
    billed.cacheRead += cacheRead;
    billed.output += s.output;
    billed.thinking += s.thinking ?? 0;
    cost.input += c.input;
    cost.cacheWrite += c.cacheWrite;
    cost.cacheRead += c.cacheRead;
    cost.output += c.output;
    uncached += (prompt * PRICE.input + s.output * PRICE.output) / 1e6;
    prevPrompt = prompt;
    prevOutput = s.output;
  });
  const costUsd = cost.input + cost.cacheWrite + cost.cacheRead + cost.output;
  return { rows, billed, costByCategory: cost, costUsd, uncachedCostUsd: uncached, loopTokens: loop };
}

function base(s: Scripted, overrides: Partial<RunReport>): RunReport {
  return {
    status: 'completed',
    className: 'fix',
    budget: 50_000,
    model: 'claude-opus-4-7',
    effort: 'high',
    loopTokens: s.loopTokens,
    billed: s.billed,
    costByCategory: s.costByCategory,
    costUsd: s.costUsd,
    turns: s.rows.filter((r) => r.stopReason !== null).length,
    toolCalls: {},
    wallMs: 0,
    changedFiles: [],
    dryRun: false,
    requests: s.rows,
    uncachedCostUsd: s.uncachedCostUsd,
    runUrl: RUN_URL,
    target: '#3',
    sandbox: 'bubblewrap sandbox',
    closingTurn: 'none',
    ...overrides,
  };
}

/** This run as the last history row. */
function withHistory(r: RunReport, runId: string, at: string, earlier: HistoryRow[] = []): RunReport {
  r.history = [...earlier, { runId, at, status: r.status, className: r.className, budget: r.budget, loopTokens: r.loopTokens, costUsd: r.costUsd, turns: r.turns }];
  return r;
}

const WORK: Step[] = [
  { output: 612, thinking: 410, newContent: 0 },
  { output: 388, thinking: 120, newContent: 1_214 },
  { output: 1_460, thinking: 980, newContent: 3_870 },
  { output: 902, thinking: 450, newContent: 2_316 },
  { output: 2_210, thinking: 1_530, newContent: 611 },
  { output: 514, newContent: 1_088 },
  { output: 1_733, thinking: 1_020, newContent: 2_904 },
  { output: 296, newContent: 412 },
  { output: 871, newContent: 1_650 },
  { output: 455, newContent: 236, stopReason: 'end_turn' },
];

export function completedReport(): RunReport {
  const r = base(script(WORK), {
    status: 'completed',
    endReason: 'completed',
    toolCalls: { bash: 7, str_replace_based_edit_tool: 4 },
    wallMs: 192_400,
    summary: 'Trimmed leading and trailing dashes in slugify().',
    branch: 'taskcap/issue-3',
    changedFiles: ['src/slugify.ts', 'test/slugify.test.ts'],
    pr: { number: 12, url: PR_URL, draft: false, operation: 'created' },
    tests: { command: 'npm test', passed: true, exitCode: 0, timedOut: false, outputTail: 'ok', durationMs: 8_200 },
  });
  return withHistory(r, '11934834502', '2026-11-29T07:03:12.000Z');
}

export function noChangesReport(): RunReport {
  const r = base(
    script([
      { output: 540, thinking: 300, newContent: 0 },
      { output: 310, newContent: 2_104 },
      { output: 402, newContent: 880, stopReason: 'end_turn' },
    ]),
    {
      status: 'no-changes',
      endReason: 'completed',
      toolCalls: { bash: 2 },
      wallMs: 41_900,
      branch: 'taskcap/issue-3',
      summary: 'The bug described is already fixed on main by 4c1d2e9; nothing to change.',
    },
  );
  return withHistory(r, '11934834502', '2026-11-29T07:01:40.000Z');
}

/**
 * A model that keeps working until a limit ends the run: the longest run of working requests that, with the
 * closing turn in which it writes its summary, stays within the limit (loop tokens for the budget, dollars for the
 * cost cap); a timed-out run ends after 9 requests and gets no closing turn.
 */
function longWork(limit: 'budget' | 'cost' | 'timeout'): Step[] {
  const working = (n: number): Step[] =>
    Array.from({ length: n }, (_, k) => ({ output: 900 + ((k * 337) % 1_400), thinking: 500 + ((k * 211) % 700), newContent: k === 0 ? 0 : 1_100 + ((k * 613) % 1_900) }));
  if (limit === 'timeout') return working(9);
  const closing: Step = { output: 742, newContent: 160, stopReason: 'end_turn' };
  const fits = (steps: Step[]) => (limit === 'budget' ? script(steps).loopTokens <= 50_000 : script(steps).costUsd <= 0.4);
  let n = 1;
  while (fits([...working(n + 1), closing])) n += 1;
  return [...working(n), closing];
}

const LIMIT_REASON: Record<'budget' | 'cost' | 'timeout', string> = {
  budget: 'The run used its budget of 50,000 loop tokens.',
  cost: 'The run reached its cost cap of $0.4000.',
  timeout: 'The run reached its time limit (`timeout-minutes`).',
};

export function budgetExhaustedReport(limit: 'budget' | 'cost' | 'timeout' = 'budget'): RunReport {
  const r = base(script(longWork(limit)), {
    status: 'budget-exhausted',
    endReason: limit as EndReason,
    reason: LIMIT_REASON[limit],
    maxCostUsd: limit === 'cost' ? 0.4 : undefined,
    toolCalls: { budget: { bash: 11, str_replace_based_edit_tool: 6 }, cost: { bash: 4, str_replace_based_edit_tool: 2 }, timeout: { bash: 7, str_replace_based_edit_tool: 3 } }[limit],
    wallMs: { budget: 611_000, cost: 212_700, timeout: 1_800_300 }[limit],
    summary: 'Partial: option parsing added; the CLI flag and its tests are still missing (about 25k more tokens).',
    summaryIsFallback: limit === 'timeout' ? true : undefined,
    closingTurn: limit === 'timeout' ? 'skipped' : 'sent',
    branch: 'taskcap/issue-3',
    changedFiles: ['src/options.ts', 'src/slugify.ts'],
    pr: { number: 12, url: PR_URL, draft: true, operation: 'created' },
    tests: { command: 'npm test', passed: false, exitCode: 1, timedOut: false, outputTail: '1 failing', durationMs: 9_100 },
  });
  const earlier: HistoryRow[] =
    limit === 'budget'
      ? [{ runId: '11930011877', at: '2026-11-28T16:42:05.000Z', status: 'failed', className: 'fix', budget: 50_000, loopTokens: 6_120, costUsd: 0.0913, turns: 2 }]
      : [];
  return withHistory(r, '11934834502', '2026-11-29T07:11:05.000Z', earlier);
}

export function failedReport(): RunReport {
  const s = script([
    { output: 611, thinking: 402, newContent: 0 },
    { output: 1_022, thinking: 640, newContent: 2_890 },
    { output: 0, newContent: 1_460, stopReason: null, error: '529 overloaded_error' },
    { output: 0, newContent: 0, stopReason: null, attempt: 2, error: '529 overloaded_error' },
  ]);
  const r = base(s, {
    status: 'failed',
    endReason: 'api-error',
    reason: 'The Claude API kept failing: 529 overloaded_error after 4 attempts. Re-run to retry; the branch keeps what was pushed.',
    toolCalls: { bash: 3, str_replace_based_edit_tool: 1 },
    wallMs: 97_500,
    hiddenRemoved: 3,
    droppedPaths: ['.github/workflows/ci.yml'],
    branch: 'taskcap/issue-3',
    changedFiles: ['src/slugify.ts'],
    pr: { number: 12, url: PR_URL, draft: true, operation: 'updated' },
  });
  return withHistory(r, '11934834502', '2026-11-29T07:05:44.000Z');
}

import { describe, expect, it } from '@jest/globals';
import { readHistory } from '../../src/records/history.js';
import { COMMENT_LIMIT, fitComment, formatMoney, inlineCode, plainText } from '../../src/render/markdown.js';
import {
  budgetBar,
  budgetLabelFor,
  outcomeLine,
  RECEIPT_MARKER,
  renderReceipt,
  renderWorkingReceipt,
  suggestedBudget,
  toolCallsText,
} from '../../src/render/receipt.js';
import { emptyOutcome, type HistoryRow, type RequestRow, type RunOutcome } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport, completedReport, failedReport, noChangesReport, PR_URL, RUN_URL } from '../fixtures/run-outcomes.js';

const REPORTS: [string, () => RunOutcome][] = [
  ['completed', completedReport],
  ['no-changes', noChangesReport],
  ['budget-exhausted at the budget', () => budgetExhaustedReport('budget')],
  ['budget-exhausted at the cost cap', () => budgetExhaustedReport('cost')],
  ['budget-exhausted at the time limit', () => budgetExhaustedReport('timeout')],
  ['failed', failedReport],
];

describe('renderReceipt', () => {
  it.each(REPORTS)('renders a %s run', (_name, make) => {
    expect(renderReceipt(make())).toMatchSnapshot();
  });

  it('starts with the marker, then the outcome, then class/model/effort, then the bar', () => {
    const lines = renderReceipt(budgetExhaustedReport()).split('\n');
    expect(lines[0]).toBe(RECEIPT_MARKER);
    expect(lines[1]).toMatch(/^### ⏸ Stopped at the token budget · partial work in draft PR \[#12\]/);
    expect(lines[2]).toBe('**fix** · `claude-opus-4-7` · effort high');
    expect(lines[4]).toBe('`████████████████████` 48,902 / 50,000 loop tokens (98%)');
  });

  it('names the limit that stopped the run, and what would let it finish', () => {
    const budget = renderReceipt(budgetExhaustedReport('budget'));
    expect(budget).toContain('add a `budget:` label such as `budget:80k`');
    expect(budget).toContain('The run used its budget of 50,000 loop tokens.');
    const cost = renderReceipt(budgetExhaustedReport('cost'));
    expect(cost).toMatch(/^### ⏸ Stopped at the cost cap/m);
    expect(cost).toContain('raise `max-cost-usd`.');
    expect(cost).toContain('cost cap $0.4000');
    const time = renderReceipt(budgetExhaustedReport('timeout'));
    expect(time).toMatch(/^### ⏸ Stopped at the time limit/m);
    expect(time).toContain('raise `timeout-minutes`');
    expect(time).toContain('summary written by taskcap');
  });

  it('after a cost-cap stop mid-run, says what the next step needed and how to finish', () => {
    const r = { ...budgetExhaustedReport('cost'), costStop: { started: true, capUsd: 0.4, promptTokens: 24_512, neededUsd: 0.1788, smallestCapUsd: undefined } };
    const body = renderReceipt(r);
    expect(body).toContain('**To finish:** raise `max-cost-usd` and re-run to continue from the branch');
    expect(body).toContain('needed up to $0.1788');
    expect(body).not.toContain('**To start:**');
  });

  it('when not even the first request fits, says so and names the smallest cap, not "re-run to continue"', () => {
    const r = {
      ...emptyOutcome('budget-exhausted', 'Not even the first request fits under the cost cap of $0.0020: its 2,010-token prompt, room to write and a closing summary need at least $0.0400. Nothing was done.'),
      endReason: 'cost' as const,
      className: 'fix',
      budget: 50_000,
      maxCostUsd: 0.002,
      costStop: { started: false, capUsd: 0.002, promptTokens: 2_010, neededUsd: 0.0357, smallestCapUsd: 0.04 },
    };
    const body = renderReceipt(r);
    expect(body).toContain('> Not even the first request fits under the cost cap of $0.0020');
    expect(body).toContain('**To start:** set `max-cost-usd` to at least $0.0400; the cap of $0.0020 does not cover the first request.');
    expect(body).not.toMatch(/re-run to continue/);
  });

  it('reports the repository context apart, in the details: its commit, size and files, never its text', () => {
    const r = {
      ...completedReport(),
      context: { sha: 'a'.repeat(40), bytes: 3_210, stableTokens: 2_412, instructionFiles: ['AGENTS.md', 'CLAUDE.md'], nestedInstructionFiles: 2, files: 812, filledTo: 2_048 },
      counting: { calls: 3, failures: 0 },
    };
    const body = renderReceipt(r);
    const details = body.slice(body.indexOf('<details>'));
    expect(details).toContain(
      'Repository context (default branch at `aaaaaaa`): 3,210 bytes; 2,412 tokens with the tools and the system prompt; instructions from `AGENTS.md`, `CLAUDE.md` (+2 nested, listed by path), a map of 812 files, filled to the 2,048-token cache minimum.',
    );
    expect(details).toContain('Exact token counts near the caps: 3.');
  });

  it('adds up: the billed table, the caching line, the figures', () => {
    const r = completedReport();
    const body = renderReceipt(r);
    const b = r.billed;
    const total = b.input + b.cacheWrite5m + b.cacheWrite1h + b.cacheRead + b.output;
    expect(body).toContain(`| **Total** | **${total.toLocaleString('en-US')}** | **$${r.costUsd.toFixed(4)}** |`);
    expect(body).toContain(`| Cache reads | ${b.cacheRead.toLocaleString('en-US')} | $${r.costByCategory.cacheRead.toFixed(4)} |`);
    const saved = r.uncachedCostUsd - r.costUsd;
    expect(body).toContain(`Caching saved $${saved.toFixed(4)} (${Math.round((saved / r.uncachedCostUsd) * 100)}%) versus no caching.`);
    expect(body).toContain('10 requests · bash ×7 · editor ×4 · 3m 12s · ⚠️ no cost cap: set `max-cost-usd` · tests ✅ `npm test`');
    expect(body).toContain(`PR [#12](${PR_URL}) · [run](${RUN_URL})`);
  });

  it('says so when caching cost more than it saved', () => {
    const r = { ...completedReport(), costUsd: 0.12, uncachedCostUsd: 0.1 };
    expect(renderReceipt(r)).toContain('Caching cost $0.0200 (20%) more than no caching');
  });

  it('puts the chart and the per-request numbers in a collapsed block', () => {
    const body = renderReceipt(completedReport());
    const details = body.slice(body.indexOf('<details>'), body.indexOf('</details>'));
    expect(details).toContain('```mermaid');
    expect(details).toContain('xychart-beta');
    expect(details).toContain('| request | input | cache read | cache write | output | loop after | cost |');
    expect(details.match(/^\| \d+ \|/gm)).toHaveLength(10);
  });

  it('keeps the history block last, and it reads back', () => {
    const r = budgetExhaustedReport();
    const body = renderReceipt(r);
    expect(body.trimEnd().endsWith('-->')).toBe(true);
    expect(body.lastIndexOf('<!-- taskcap:history ')).toBeGreaterThan(body.indexOf('</details>'));
    expect(readHistory(body)).toEqual(r.history!.map((h) => ({ ...h, costUsd: Math.round(h.costUsd * 1e6) / 1e6 })));
  });

  it('renders untrusted text inert: reason, paths, test command', () => {
    const r: RunOutcome = {
      ...failedReport(),
      reason: 'Boom <img src=x onerror=alert(1)> [click](https://evil.example) <!-- taskcap:history [] -->\n::error::owned',
      droppedPaths: ['a`b`<!-- x -->.txt', 'line\nbreak.md'],
      tests: { command: 'npm test `whoami`', passed: false, exitCode: 2, timedOut: false, outputTail: '', durationMs: 1 },
    };
    const body = renderReceipt(r);
    expect(body).not.toContain('<img');
    expect(body).toContain('\\[click\\](https://evil.example)'); // brackets escaped: text, not a link
    expect(body).toContain('`npm test \'whoami\'`');
    expect(body).toContain("`a'b'<!-- x -->.txt`");
    expect(body.split('\n').some((l) => l.startsWith('::'))).toBe(false);
    // The smuggled block is neither the trailing one nor readable as history.
    expect(readHistory(body).map((h) => h.runId)).toEqual(['11934834502']);
  });
});

describe('the 65,536-character limit', () => {
  function extreme(requests: number, historyRows: number): RunOutcome {
    const r = budgetExhaustedReport();
    const rows: RequestRow[] = Array.from({ length: requests }, (_, i) => ({
      index: i + 1,
      attempt: 1,
      input: 3,
      cacheRead: 1_000_000 + i * 1_000,
      cacheWrite: 12_345,
      output: 4_321,
      loopAfter: 1_000 + i * 97,
      costUsd: 0.123456,
      stopReason: 'tool_use',
      durationMs: 12_345,
      requestId: `req_${'x'.repeat(24)}${i}`,
    }));
    const history: HistoryRow[] = Array.from({ length: historyRows }, (_, i) => ({
      runId: String(11_000_000_000 + i),
      at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
      status: i % 3 === 0 ? 'budget-exhausted' : 'completed',
      className: 'migration',
      budget: 200_000,
      loopTokens: 150_000 + i,
      costUsd: 3.25,
      turns: 40,
    }));
    return {
      ...r,
      requests: rows,
      turns: requests,
      history,
      reason: 'x'.repeat(100_000),
      droppedPaths: Array.from({ length: 5_000 }, (_, i) => `${'deep/'.repeat(60)}file-${i}.ts`),
      toolCalls: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`tool_${i}_${'n'.repeat(50)}`, i + 1])),
      tests: { command: 'y'.repeat(50_000), passed: false, exitCode: 1, timedOut: false, outputTail: '', durationMs: 1 },
    };
  }

  it('stays under the limit with 2,000 requests and 500 history rows, and keeps the totals', () => {
    const r = extreme(2_000, 500);
    const body = renderReceipt(r);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.startsWith(RECEIPT_MARKER)).toBe(true);
    expect(body).toContain('/ 50,000 loop tokens');
    const kept = readHistory(body);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(500);
    const sum = (rows: HistoryRow[], f: (h: HistoryRow) => number) => rows.reduce((s, h) => s + f(h), 0);
    expect(sum(kept, (h) => h.loopTokens)).toBe(sum(r.history!, (h) => h.loopTokens));
    expect(sum(kept, (h) => h.costUsd)).toBeCloseTo(sum(r.history!, (h) => h.costUsd), 6);
    expect(body).toContain('**Total (500 runs)**');
    // Degraded by design (rows dropped, oldest runs summarized), never cut.
    expect(body).not.toContain('truncated by taskcap');
    expect(body).toContain('| 481 earlier runs |');
  });

  it('drops per-request rows first, saying how many', () => {
    const body = renderReceipt(extreme(2_000, 2));
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toMatch(/… and 1,9\d\d more request rows \(all of them are in the job summary of the run\)\./);
  });

  it('stays under the limit for any mix of sizes', () => {
    for (const [requests, history] of [[0, 0], [1, 1], [60, 200], [500, 50], [2_000, 0], [0, 500], [5_000, 2_000]]) {
      const body = renderReceipt(extreme(requests, history));
      expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
      const kept = readHistory(body);
      expect(kept.reduce((s, h) => s + h.loopTokens, 0)).toBe((150_000 * history) + (history * (history - 1)) / 2);
    }
  });

  it('fitComment cuts at a line, closes open blocks and keeps the trailing history block', () => {
    const block = '<!-- taskcap:history {"v":1,"rows":[]} -->';
    const body = [RECEIPT_MARKER, '<details>', '```mermaid', ...Array.from({ length: 20_000 }, (_, i) => `line ${i}`), '```', '</details>', '', block].join('\n');
    const cut = fitComment(body);
    expect(cut.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(cut.endsWith(block)).toBe(true);
    expect(cut).toMatch(/```\n<\/details>\n\n… \(truncated by taskcap/);
    expect(fitComment('short')).toBe('short');
  });
});

describe('pieces', () => {
  it('formatMoney: 4 decimals, en-US separators, same digits as the outputs', () => {
    expect(formatMoney(0.1234)).toBe('$0.1234');
    expect(formatMoney(0.00005)).toBe('$0.0001');
    expect(formatMoney(1465.75)).toBe('$1,465.7500');
    expect(formatMoney(1234567.891)).toBe('$1,234,567.8910');
    expect(formatMoney(-2.5)).toBe('-$2.5000');
  });

  it('budgetBar fills in proportion and clamps', () => {
    expect(budgetBar(31_204, 50_000)).toBe('████████████░░░░░░░░');
    expect(budgetBar(0, 50_000)).toBe('░'.repeat(20));
    expect(budgetBar(90_000, 50_000)).toBe('█'.repeat(20));
    expect(budgetBar(10, 0)).toBe('░'.repeat(20));
  });

  it('suggests ≈ 1.5× the budget, rounded up to 10k, as a label', () => {
    expect(suggestedBudget(50_000)).toBe(80_000);
    expect(suggestedBudget(40_000)).toBe(60_000);
    expect(suggestedBudget(200_000)).toBe(300_000);
    expect(suggestedBudget(10_000)).toBe(20_000);
    expect(budgetLabelFor(80_000)).toBe('budget:80k');
    expect(budgetLabelFor(61_500)).toBe('budget:61500');
  });

  it('outcome lines answer "did it work, where is the work"', () => {
    const c = completedReport();
    expect(outcomeLine(c)).toBe(`✅ PR opened [#12](${PR_URL})`);
    expect(outcomeLine({ ...c, pr: { ...c.pr!, operation: 'updated', draft: true }, tests: { ...c.tests!, passed: false } })).toBe(
      `✅ Draft PR updated [#12](${PR_URL}) (tests failed)`,
    );
    expect(outcomeLine({ ...c, pr: undefined, dryRun: true })).toBe('✅ Completed (dry run: nothing published)');
    expect(outcomeLine(noChangesReport())).toBe('➖ No changes: finished without changing any file');
    expect(outcomeLine({ ...budgetExhaustedReport(), endReason: undefined, pr: undefined })).toBe('⏸ Stopped at a limit · no changes to deliver');
    expect(outcomeLine({ ...failedReport(), pr: undefined, reason: 'The run failed: boom.' })).toBe('❌ Failed: The run failed: boom.');
    expect(outcomeLine({ ...failedReport(), pr: undefined, reason: 'r'.repeat(300) })).toBe('❌ Failed');
  });

  it('lists tool calls by tool, most used first', () => {
    expect(toolCallsText({ str_replace_based_edit_tool: 4, bash: 7 })).toBe('bash ×7 · editor ×4');
    expect(toolCallsText({})).toBe('no tool calls');
    expect(toolCallsText({ '<b>x</b>': 1 })).toBe('&lt;b&gt;x&lt;/b&gt; ×1');
    expect(toolCallsText({ bash: 9, str_replace_based_edit_tool: 5, a: 4, b: 3, c: 2, d: 1 })).toBe('bash ×9 · editor ×5 · a ×4 · b ×3 · other tools ×3');
  });

  it('inlineCode and plainText cannot break out', () => {
    expect(inlineCode('a`b\nc\u202Ed', 80)).toBe("`a'b c d`");
    expect(inlineCode('```', 80)).toBe("`'''`");
    expect(inlineCode('\n\t ', 80)).toBe('');
    expect(inlineCode('x'.repeat(100), 10)).toBe(`\`${'x'.repeat(9)}…\``);
    expect(plainText('<!-- a --> [l](u) | ! \\', 80)).toBe('&lt;\\!-- a --&gt; \\[l\\](u) \\| \\! \\\\');
  });
});

describe('renderWorkingReceipt', () => {
  const progress = {
    className: 'fix',
    budget: 50_000,
    model: 'claude-opus-4-7',
    effort: 'high',
    loopTokens: 15_600,
    costUsd: 0.2315,
    requests: 6,
    runUrl: RUN_URL,
  };

  it('shows the bar at the current spend and the current step', () => {
    const body = renderWorkingReceipt({ ...progress, step: 'npm test' });
    expect(body).toMatchSnapshot();
    expect(body.split('\n')[1]).toBe('### ⏳ Working… `npm test`');
    expect(body).toContain('`██████░░░░░░░░░░░░░░` 15,600 / 50,000 loop tokens (31%)');
    expect(renderWorkingReceipt({ ...progress, loopTokens: 0, requests: 0 })).toContain('`░░░░░░░░░░░░░░░░░░░░` 0 / 50,000 loop tokens (0%)');
  });

  it('renders a hostile step as one inert line of inline code', () => {
    const hostile = 'npm test `; curl evil` <!-- taskcap:history {"v":1,"rows":[{"runId":"1","at":"2026-01-01T00:00:00Z","status":"completed","loopTokens":1,"costUsd":99999,"turns":1}]} -->\n::set-output name=status::completed\r\n@everyone ' + 'z'.repeat(500);
    const body = renderWorkingReceipt({ ...progress, step: hostile });
    const heading = body.split('\n')[1];
    expect(heading.startsWith('### ⏳ Working… `npm test \'; curl evil\' <!-- taskcap')).toBe(true);
    expect(heading.endsWith('…`')).toBe(true);
    expect(heading.length).toBeLessThan(120);
    expect(heading.match(/`/g)).toHaveLength(2);
    expect(body.split('\n').some((l) => l.startsWith('::'))).toBe(false);
    expect(body).not.toContain('\r');
    // The smuggled block is not the comment's history.
    expect(readHistory(body)).toEqual([]);
  });

  it('carries the earlier history so a crash mid-run keeps it', () => {
    const history = budgetExhaustedReport().history!.slice(0, 1);
    const body = renderWorkingReceipt({ ...progress, history });
    expect(body).toContain('Earlier runs here: 1 · 6,120 loop tokens · $0.0913.');
    expect(readHistory(body)).toEqual(history);
  });
});

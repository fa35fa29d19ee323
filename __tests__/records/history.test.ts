import { describe, expect, it } from '@jest/globals';
import {
  appendHistory,
  commentSafeJson,
  foldHistory,
  historyBlock,
  historyRowOf,
  historyTotals,
  readHistory,
  runsOf,
} from '../../src/records/history.js';
import { renderReceipt } from '../../src/render/receipt.js';
import type { HistoryRow, RunOutcome } from '../../src/records/run-outcome.js';
import { budgetExhaustedReport, completedReport, failedReport } from '../fixtures/run-outcomes.js';

const row = (i: number, extra: Partial<HistoryRow> = {}): HistoryRow => ({
  runId: String(12_000_000_000 + i),
  at: new Date(Date.UTC(2026, 10, 1, 12) + i * 60_000).toISOString(),
  status: 'completed',
  className: 'fix',
  budget: 50_000,
  loopTokens: 30_000 + i,
  costUsd: 0.5 + i / 1000,
  turns: 10,
  ...extra,
});

const wrap = (json: string) => `<!-- taskcap:receipt -->\nbody\n\n<!-- taskcap:history ${json} -->`;

describe('the cumulative block across runs on one issue', () => {
  it('render → readHistory → append → render, three times: totals add up', () => {
    const runs: [RunOutcome, string, string][] = [
      [failedReport(), '11930011877', '2026-11-28T16:42:05.000Z'],
      [budgetExhaustedReport(), '11934834502', '2026-11-29T07:11:05.000Z'],
      [completedReport(), '11941200931-2', '2026-11-29T09:30:51.000Z'],
    ];
    let comment = '';
    for (const [report, runId, at] of runs) {
      report.history = appendHistory(readHistory(comment), historyRowOf(report, { runId, at }));
      comment = renderReceipt(report);
    }
    const history = readHistory(comment);
    expect(history.map((h) => h.runId)).toEqual(['11930011877', '11934834502', '11941200931-2']);
    expect(history.map((h) => h.status)).toEqual(['failed', 'budget-exhausted', 'completed']);

    const loop = runs.reduce((s, [r]) => s + r.loopTokens, 0);
    const cost = runs.reduce((s, [r]) => s + Math.round(r.costUsd * 1e6) / 1e6, 0);
    expect(historyTotals(history)).toEqual({ runs: 3, loopTokens: loop, costUsd: expect.closeTo(cost, 9), turns: runs.reduce((s, [r]) => s + r.turns, 0) });
    expect(comment).toContain(`| **Total (3 runs)** | | | **${loop.toLocaleString('en-US')}** | **$${cost.toFixed(4)}** |`);
    // One row per run, the last marked, each linked to its run (a re-run attempt to its attempt page).
    expect(comment).toContain('[2026-11-28 16:42](https://github.com/acme/slugkit/actions/runs/11930011877) | fix | ❌ failed |');
    expect(comment).toContain('[2026-11-29 09:30](https://github.com/acme/slugkit/actions/runs/11941200931/attempts/2) (this run) | fix | ✅ completed |');
  });

  it('shows no table for a first run, but still writes the block', () => {
    const report = completedReport();
    const body = renderReceipt(report);
    expect(body).not.toContain('All runs on');
    expect(readHistory(body)).toHaveLength(1);
  });

  it('replaces the row of the same run (working receipt, then final receipt)', () => {
    const rows = appendHistory(appendHistory([row(1)], row(2, { status: 'failed', loopTokens: 100 })), row(2));
    expect(rows.map((r) => r.loopTokens)).toEqual([30_001, 30_002]);
  });
});

describe('appendHistory and foldHistory', () => {
  it('folds the oldest rows beyond max into one, keeping the totals', () => {
    let rows: HistoryRow[] = [];
    for (let i = 0; i < 250; i++) rows = appendHistory(rows, row(i), 200);
    expect(rows).toHaveLength(200);
    expect(rows[0].runId).toBe('earlier');
    expect(runsOf(rows[0])).toBe(51);
    expect(rows[199].runId).toBe(String(12_000_000_249));
    const all = Array.from({ length: 250 }, (_, i) => row(i));
    expect(historyTotals(rows).runs).toBe(250);
    expect(historyTotals(rows).loopTokens).toBe(historyTotals(all).loopTokens);
    expect(historyTotals(rows).costUsd).toBeCloseTo(historyTotals(all).costUsd, 6);
  });

  it('folds into an existing folded row', () => {
    const once = foldHistory(Array.from({ length: 10 }, (_, i) => row(i)), 5);
    const twice = foldHistory([...once, row(10), row(11)], 5);
    expect(twice[0]).toMatchObject({ runId: 'earlier', runs: 8 });
    expect(historyTotals(twice).runs).toBe(12);
    expect(foldHistory([row(1), row(2)], 1)).toEqual([expect.objectContaining({ runId: 'earlier', runs: 2, loopTokens: 60_003 })]);
  });

  it('round-trips through a receipt, folded rows included', () => {
    const rows = foldHistory(Array.from({ length: 30 }, (_, i) => row(i)), 10);
    expect(readHistory(wrap(historyBlock(rows).slice('<!-- taskcap:history '.length, -' -->'.length)))).toEqual(rows);
  });
});

describe('readHistory on tampered or garbage input', () => {
  const good = row(1);

  it('returns [] for anything that is not a trailing block of JSON', () => {
    for (const body of [
      '',
      'no block here',
      '<!-- taskcap:history -->',
      wrap('{not json'),
      wrap('null'),
      wrap('42'),
      wrap('"rows"'),
      wrap('{"v":1,"rows":"nope"}'),
      `${wrap(JSON.stringify({ v: 1, rows: [good] }))}\ntext after the block`,
      `<!-- taskcap:history ${JSON.stringify([good])}`,
    ]) {
      expect(readHistory(body)).toEqual([]);
    }
    expect(readHistory(undefined as unknown as string)).toEqual([]);
  });

  it('keeps only valid rows, with numbers validated', () => {
    const bad: unknown[] = [
      { ...good, loopTokens: -5 },
      { ...good, loopTokens: 1.5 },
      { ...good, loopTokens: '30000' },
      { ...good, costUsd: Number.MAX_VALUE },
      { ...good, costUsd: -0.01 },
      { ...good, turns: null },
      { ...good, status: 'won' },
      { ...good, runId: '](https://evil.example)' },
      { ...good, runId: '' },
      { ...good, at: 'yesterday' },
      { ...good, at: '2026-13-45T99:99:99Z' },
      { ...good, className: '<img src=x>' },
      { ...good, budget: 'lots' },
      { ...good, runs: 0 },
      'a string',
      null,
      [good],
    ];
    const body = wrap(JSON.stringify({ v: 1, rows: [good, ...bad, row(2)] }));
    expect(readHistory(body)).toEqual([good, row(2)]);
  });

  it('accepts a bare array of rows and ignores unknown fields', () => {
    expect(readHistory(wrap(JSON.stringify([{ ...good, note: '<script>' }])))).toEqual([good]);
  });

  it('reads only the block that ends the comment, not one smuggled into the text before it', () => {
    const fake = `<!-- taskcap:history ${JSON.stringify({ v: 1, rows: [row(9, { costUsd: 99_999 })] })} -->`;
    const body = `<!-- taskcap:receipt -->\n### ⏳ Working… \`${fake}\`\n\n${historyBlock([good])}\n`;
    expect(readHistory(body)).toEqual([good]);
  });

  it('never throws on a huge or deeply nested block', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(readHistory(wrap(deep))).toEqual([]);
    const many = Array.from({ length: 5_000 }, (_, i) => row(i));
    expect(readHistory(wrap(JSON.stringify({ v: 1, rows: many })))).toHaveLength(2_000);
    const openers = '<!-- taskcap:history '.repeat(3_000);
    expect(readHistory(openers)).toEqual([]);
  });
});

describe('the block is safe inside an HTML comment', () => {
  it('escapes every character that could end or open a comment', () => {
    const json = commentSafeJson({ s: '--> <!-- & --!> -', n: 0.000001 });
    expect(json).not.toMatch(/--|<|>|&/);
    expect(JSON.parse(json)).toEqual({ s: '--> <!-- & --!> -', n: 0.000001 });
  });

  it('writes rows the reader accepts: costs rounded, a bad class name left out rather than the row', () => {
    const block = historyBlock([row(1, { costUsd: 1e-9 }), row(2, { className: 'my|class<>' })]);
    expect(block.slice('<!--'.length, -'-->'.length)).not.toMatch(/--|<|>/);
    const read = readHistory(wrap(block.slice('<!-- taskcap:history '.length, -' -->'.length)));
    expect(read).toHaveLength(2);
    expect(read[0].costUsd).toBe(0);
    expect(read[1].className).toBeUndefined();
  });
});

import { formatInt } from '../util/format.js';
import { loopChart, loopPoints, mermaidBlock } from './chart.js';
import { fitComment } from './markdown.js';
import { contextLines, receiptVisibleLines, REQUEST_COLUMNS, requestTable, type RequestColumn } from './receipt.js';
import type { RunOutcome } from '../records/run-outcome.js';

/**
 * The job summary (`core.summary.addRaw`): the receipt a reader sees, then the chart of the loop in full view with
 * its numbers beside it, then every request. No hidden blocks: the summary is not read back by anyone.
 */

/** GitHub keeps at most 1 MiB of summary per step. */
export const SUMMARY_LIMIT = 1024 * 1024;

/** Enough for any run the budgets allow; a pathological run still leaves room under the limit. */
const MAX_SUMMARY_REQUEST_ROWS = 5_000;

const SUMMARY_REQUEST_COLUMNS: RequestColumn[] = [
  REQUEST_COLUMNS.request,
  REQUEST_COLUMNS.attempt,
  REQUEST_COLUMNS.input,
  REQUEST_COLUMNS.cacheRead,
  REQUEST_COLUMNS.cacheWrite,
  REQUEST_COLUMNS.output,
  REQUEST_COLUMNS.loopAfter,
  REQUEST_COLUMNS.cost,
  REQUEST_COLUMNS.stopReason,
  REQUEST_COLUMNS.duration,
  REQUEST_COLUMNS.requestId,
];

/** The points the chart plots, as a table, so the figures read the same whether or not mermaid renders. */
function chartNumbers(r: RunOutcome): string[] {
  const points = loopPoints(r.requests);
  return [
    `| request | loop tokens after${r.budget ? ' | of budget' : ''} |`,
    `|---:|---:|${r.budget ? '---:|' : ''}`,
    ...points.map((p) => `| ${p.request} | ${formatInt(p.loopAfter)}${r.budget ? ` | ${Math.round((p.loopAfter / r.budget) * 100)}%` : ''} |`),
  ];
}

function loopSection(r: RunOutcome): string[] {
  if (r.requests.length === 0) return [];
  const sampled = loopPoints(r.requests).length < new Set(r.requests.map((q) => q.index)).size;
  return [
    '',
    '#### Loop tokens per request',
    '',
    mermaidBlock(loopChart(r.requests, r.budget)),
    '',
    ...(sampled ? ['Sampled evenly (first and last request always shown):', ''] : []),
    ...chartNumbers(r),
    '',
    '#### Requests',
    '',
    ...requestTable(r.requests, SUMMARY_REQUEST_COLUMNS, MAX_SUMMARY_REQUEST_ROWS),
  ];
}

/** Markdown for the job summary of a run. */
export function renderJobSummary(r: RunOutcome): string {
  const context = contextLines(r);
  const lines = ['## taskcap', '', ...receiptVisibleLines(r, { historyRows: 200 }), ...(context.length ? ['', ...context] : []), ...loopSection(r)];
  return fitComment(lines.join('\n'), SUMMARY_LIMIT);
}

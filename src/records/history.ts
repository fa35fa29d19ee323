import { isOneOf, STATUSES, type Status } from '../vocabulary.js';
import type { HistoryRow, RunOutcome } from './run-outcome.js';

/**
 * The running total of an issue/PR across runs lives in the receipt comment itself, as JSON inside an HTML comment:
 * `<!-- taskcap:history {"v":1,"rows":[...]} -->`. Each run reads the previous receipt, appends its own row and
 * writes the block back, so totals survive re-runs without any storage of their own.
 *
 * The block is read back from a comment anyone with admin rights can edit, so reading is defensive: every row is
 * validated field by field and anything malformed is dropped, never thrown.
 */

/**
 * A history row may stand for several runs: the oldest rows are folded into one so the block stays small while the
 * totals stay exact. `runs` is absent (= 1) on ordinary rows.
 * (Proposed for HistoryRow in run-report.ts; kept as a local extension until then.)
 */
export type FoldableHistoryRow = HistoryRow;

export const HISTORY_TAG = 'taskcap:history';
export const DEFAULT_HISTORY_MAX = 200;
/** The runId of the row that stands for the folded oldest runs. */
export const FOLDED_RUN_ID = 'earlier';

/** Run ids are GitHub's numeric ids, optionally with an attempt suffix ("123456-2"), or the folded marker. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Class names are config keys; anything that could break a table cell or a link is rejected. */
const CLASS_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Rows beyond this in a block are ignored: nobody re-runs an issue ten thousand times, and parsing must stay cheap. */
const MAX_ROWS_READ = 2_000;
/** A single run costing more than this is not a plausible figure; a row claiming it was tampered with. */
const MAX_PLAUSIBLE_COST_USD = 100_000;
const MAX_PLAUSIBLE_TOKENS = 1e10;

const isCount = (v: unknown, max = MAX_PLAUSIBLE_TOKENS): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_PLAUSIBLE_COST_USD;

/** One row from untrusted JSON, or undefined when any field is malformed. Unknown fields are dropped. */
export function validHistoryRow(raw: unknown): FoldableHistoryRow | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.runId !== 'string' || !RUN_ID.test(r.runId)) return undefined;
  if (typeof r.at !== 'string' || !ISO_TIME.test(r.at) || Number.isNaN(Date.parse(r.at))) return undefined;
  if (typeof r.status !== 'string' || !isOneOf(STATUSES, r.status)) return undefined;
  if (!isCount(r.loopTokens) || !isAmount(r.costUsd) || !isCount(r.turns, 1e6)) return undefined;
  if (r.className !== undefined && (typeof r.className !== 'string' || !CLASS_NAME.test(r.className))) return undefined;
  if (r.budget !== undefined && !isCount(r.budget)) return undefined;
  if (r.runs !== undefined && (!isCount(r.runs, 1e6) || r.runs < 1)) return undefined;
  const row: FoldableHistoryRow = {
    runId: r.runId,
    at: r.at,
    status: r.status as Status,
    loopTokens: r.loopTokens,
    costUsd: roundUsd(r.costUsd),
    turns: r.turns,
  };
  if (r.className !== undefined) row.className = r.className as string;
  if (r.budget !== undefined) row.budget = r.budget as number;
  if (r.runs !== undefined && r.runs > 1) row.runs = r.runs as number;
  return row;
}

/** Micro-dollars are plenty, and keep JSON numbers free of exponents ("1e-7"). */
function roundUsd(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * JSON that can sit inside an HTML comment: no `--` (which ends a comment), no `<`/`>`, no `&`. Every `-`, `<`, `>`
 * and `&` is escaped as a \u sequence; outside strings none can occur, because numbers are validated non-negative
 * and rounded so they never print with an exponent.
 */
export function commentSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[-<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The hidden block for a receipt. Rows go through the same validation as on reading, so what is written always
 * reads back whole; a class name the reader would reject is left out rather than losing the row and its cost.
 */
export function historyBlock(rows: readonly HistoryRow[]): string {
  const clean = rows
    .map((r) => validHistoryRow(r.className === undefined || CLASS_NAME.test(r.className) ? r : { ...r, className: undefined }))
    .filter((r): r is FoldableHistoryRow => r !== undefined);
  return `<!-- ${HISTORY_TAG} ${commentSafeJson({ v: 1, rows: clean })} -->`;
}

const OPENER = `<!-- ${HISTORY_TAG} `;
const CLOSER = ' -->';

/** Where the history block that ends `body` starts (only whitespace after it), or -1. Linear time. */
export function trailingBlockStart(body: string): number {
  const start = body.lastIndexOf(OPENER);
  if (start < 0) return -1;
  const rest = body.slice(start + OPENER.length).trimEnd();
  return rest.endsWith(CLOSER) && !rest.slice(0, -CLOSER.length).includes('-->') ? start : -1;
}

function trailingBlockJson(body: string): string | undefined {
  const start = trailingBlockStart(body);
  return start < 0 ? undefined : body.slice(start + OPENER.length).trimEnd().slice(0, -CLOSER.length);
}

/**
 * The history kept in a previous receipt, oldest first. Only a block that ends the comment counts: taskcap always
 * writes it last, and every untrusted text it renders ends before it (inside inline code or HTML-escaped), so a
 * look-alike block smuggled into a command, a path or a step is never read. Never throws.
 */
export function readHistory(commentBody: string): HistoryRow[] {
  if (typeof commentBody !== 'string') return [];
  const json = trailingBlockJson(commentBody);
  if (json === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) return [];
  return rows
    .slice(-MAX_ROWS_READ)
    .map(validHistoryRow)
    .filter((r): r is FoldableHistoryRow => r !== undefined);
}

/** How many runs a row stands for. */
export function runsOf(row: HistoryRow): number {
  return (row as FoldableHistoryRow).runs ?? 1;
}

export interface HistoryTotals {
  runs: number;
  loopTokens: number;
  costUsd: number;
  turns: number;
}

export function historyTotals(rows: readonly HistoryRow[]): HistoryTotals {
  return rows.reduce<HistoryTotals>(
    (t, r) => ({ runs: t.runs + runsOf(r), loopTokens: t.loopTokens + r.loopTokens, costUsd: t.costUsd + r.costUsd, turns: t.turns + r.turns }),
    { runs: 0, loopTokens: 0, costUsd: 0, turns: 0 },
  );
}

/**
 * Fold the oldest rows into one `earlier` row so at most `max` rows remain; totals are unchanged. The folded row
 * keeps the time and status of the newest run it absorbed.
 */
export function foldHistory(rows: readonly HistoryRow[], max: number): HistoryRow[] {
  const keep = Math.max(1, Math.floor(max));
  if (rows.length <= keep) return [...rows];
  if (keep === 1) return [foldRows(rows)];
  const cut = rows.length - (keep - 1);
  return [foldRows(rows.slice(0, cut)), ...rows.slice(cut)];
}

function foldRows(rows: readonly HistoryRow[]): FoldableHistoryRow {
  const t = historyTotals(rows);
  const newest = rows[rows.length - 1];
  return { runId: FOLDED_RUN_ID, at: newest.at, status: newest.status, loopTokens: t.loopTokens, costUsd: roundUsd(t.costUsd), turns: t.turns, runs: t.runs };
}

/**
 * Add this run's row. A row with the same runId is replaced, not duplicated: the working receipt and the final
 * receipt of one run both write it. Beyond `max` rows the oldest are folded, keeping the totals.
 */
export function appendHistory(rows: readonly HistoryRow[], row: HistoryRow, max = DEFAULT_HISTORY_MAX): HistoryRow[] {
  const others = rows.filter((r) => r.runId !== row.runId || r.runId === FOLDED_RUN_ID);
  return foldHistory([...others, row], max);
}

/** This run as a history row. `runId` is GitHub's run id (add "-<attempt>" for re-run attempts); `at` ISO time. */
export function historyRowOf(report: RunOutcome, meta: { runId: string; at: string }): HistoryRow {
  const row: HistoryRow = {
    runId: meta.runId,
    at: meta.at,
    status: report.status,
    loopTokens: report.loopTokens,
    costUsd: roundUsd(report.costUsd),
    turns: report.turns,
  };
  if (report.className !== undefined) row.className = report.className;
  if (report.budget !== undefined) row.budget = report.budget;
  return row;
}

import { formatDuration, formatInt, formatPercent, formatUsd } from '../util/format.js';
import type { RunReport } from './run-report.js';

/** The marker that identifies taskcap's receipt comment (one per issue/PR, edited in place). */
export const RECEIPT_MARKER = '<!-- taskcap:receipt -->';

/** GitHub rejects comment bodies above 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

const BAR_WIDTH = 20;

/** `██████████░░░░░░░░░░` for used/budget, clamped to the bar. */
export function budgetBar(used: number, budget: number): string {
  const filled = budget > 0 ? Math.min(BAR_WIDTH, Math.round((used / budget) * BAR_WIDTH)) : 0;
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

export function outcomeLine(r: RunReport): string {
  const pr = r.pr ? ` [#${r.pr.number}](${r.pr.url})` : '';
  switch (r.status) {
    case 'completed':
      return r.pr ? `✅ ${r.pr.draft ? 'Draft PR' : 'PR'} ${r.pr.operation === 'created' ? 'opened' : 'updated'}:${pr}` : r.dryRun ? '✅ Completed (dry run: nothing published)' : '✅ Completed';
    case 'budget-exhausted':
      return `⏸ Stopped at a limit${r.pr ? `; partial work in draft PR${pr}` : ''}`;
    case 'no-changes':
      return '➖ Finished without changing any file';
    case 'failed':
      return `❌ Failed${r.pr ? `; work so far in draft PR${pr}` : ''}`;
    case 'refused':
      return '⛔ Refused';
    case 'skipped':
      return '➖ Skipped';
  }
}

/** The receipt comment body: did it work, what did it cost, how much of the budget, where is the PR. */
export function renderReceipt(r: RunReport): string {
  const lines: string[] = [RECEIPT_MARKER, `### ${outcomeLine(r)}`];
  const facts = [r.className && `**${r.className}**`, r.model && `\`${r.model}\``, r.effort && `effort ${r.effort}`].filter(Boolean);
  if (facts.length) lines.push(facts.join(' · '));
  if (r.reason) lines.push('', `> ${r.reason}`);
  if (r.budget) {
    lines.push('', `\`${budgetBar(r.loopTokens, r.budget)}\` ${formatInt(r.loopTokens)} / ${formatInt(r.budget)} loop tokens (${formatPercent(r.loopTokens, r.budget)})`);
  }
  const b = r.billed;
  const c = r.costByCategory;
  const writes = b.cacheWrite5m + b.cacheWrite1h;
  const total = b.input + writes + b.cacheRead + b.output;
  lines.push(
    '',
    '| billed | tokens | cost |',
    '|---|---:|---:|',
    `| Input (uncached) | ${formatInt(b.input)} | ${formatUsd(c.input)} |`,
    `| Cache writes | ${formatInt(writes)} | ${formatUsd(c.cacheWrite)} |`,
    `| Cache reads | ${formatInt(b.cacheRead)} | ${formatUsd(c.cacheRead)} |`,
    `| Output${b.thinking ? ` (${formatInt(b.thinking)} thinking)` : ''} | ${formatInt(b.output)} | ${formatUsd(c.output)} |`,
    `| **Total** | **${formatInt(total)}** | **${formatUsd(r.costUsd)}** |`,
  );
  const toolCount = Object.values(r.toolCalls).reduce((a, x) => a + x, 0);
  const meta = [
    `${r.turns} request${r.turns === 1 ? '' : 's'}`,
    `${toolCount} tool call${toolCount === 1 ? '' : 's'}`,
    formatDuration(r.wallMs),
    r.maxCostUsd !== undefined ? `cost cap ${formatUsd(r.maxCostUsd)}` : undefined,
    r.tests ? `tests ${r.tests.passed ? '✅' : '❌'} \`${r.tests.command}\`` : undefined,
    r.branch && !r.dryRun ? `branch \`${r.branch}\`` : undefined,
    r.runUrl ? `[run](${r.runUrl})` : undefined,
  ].filter(Boolean);
  lines.push('', meta.join(' · '));
  return fitComment(lines.join('\n'));
}

/** Keep any comment under GitHub's limit, cutting from the end with a note. */
export function fitComment(body: string, limit = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note = '\n\n… (truncated by taskcap to fit GitHub’s comment limit)';
  return body.slice(0, limit - note.length) + note;
}

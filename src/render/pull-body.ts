import { codeBlock, defuse } from '../util/defuse.js';
import { formatInt, formatUsd } from '../util/format.js';
import { fitComment, inlineCode } from './markdown.js';
import type { RunOutcome } from '../records/run-outcome.js';

export const PR_MARKER = (key: string) => `<!-- taskcap:pr key=${key} -->`;

/** The PR description: the closing keyword, the model's summary, the state of the work and what it cost. */
export function renderPullBody(r: RunOutcome, opts: { key: string; fixes?: number; actor?: string; receiptUrl?: string }): string {
  const parts: string[] = [];
  if (opts.fixes !== undefined) parts.push(`Fixes #${opts.fixes}`, '');
  parts.push('## Summary', '', r.summary?.trim() || '_No summary was written._', '');
  if (r.status === 'budget-exhausted' || r.status === 'failed') {
    parts.push('## ⏸ Partial work', '', `${r.reason ? defuse(r.reason) : 'The run stopped before finishing.'} This PR holds what was done so far; re-run taskcap on the issue (or raise its budget with a \`budget:\` label) to continue from this branch.`, '');
  }
  if (r.tests) {
    parts.push(
      `## Tests ${r.tests.passed ? '✅' : '❌'}`,
      '',
      `${inlineCode(r.tests.command, 200)} ${r.tests.passed ? 'passed' : r.tests.timedOut ? 'timed out' : `failed (exit ${r.tests.exitCode ?? 'unknown'})`}.`,
      // Test output is untrusted: in a fence it cannot close it never renders as markdown, and defused it closes,
      // mentions and skips nothing even where a code block's text is read for references.
      ...(r.tests.passed ? [] : ['', codeBlock(defuse(r.tests.outputTail))]),
      '',
    );
  }
  const spend = `${formatInt(r.loopTokens)}${r.budget ? ` / ${formatInt(r.budget)}` : ''} loop tokens · ${formatUsd(r.costUsd)} · ${r.turns} requests`;
  const links = [opts.receiptUrl && `[receipt](${opts.receiptUrl})`, r.runUrl && `[run](${r.runUrl})`].filter(Boolean).join(' · ');
  parts.push(`<sub>taskcap · ${r.className ?? ''} · ${spend}${opts.actor ? ` · asked by @${opts.actor}` : ''}${links ? ` · ${links}` : ''}</sub>`, '', PR_MARKER(opts.key));
  return fitComment(parts.join('\n'));
}

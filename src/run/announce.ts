import type { RunSetup } from '../ports.js';
import { findReceipt, upsertMarkedComment, upsertReceipt } from '../publish/receipt-comment.js';
import { appendHistory, historyRowOf, readHistory } from '../records/history.js';
import type { RunOutcome } from '../records/run-outcome.js';
import { renderReceipt } from '../render/receipt.js';
import type { Task } from '../trigger/task.js';
import { bestEffort } from '../util/best-effort.js';
import { defuse } from '../util/defuse.js';
import type { Prepared } from './prepare.js';
import { runIdOf } from './run-id.js';

/** A model reply line that answers a review comment: `- [comment 123] what was done`. */
const THREAD_ANSWER = /^\s*[-*]\s*\[comment (\d+)\]\s*(.+)$/gm;

/**
 * Tell people: the written result of explore/research classes, the receipt (with this run added to its history),
 * and an answer in each review thread the task was asked to address. Each is best effort: a comment that cannot be
 * written costs a warning, never the run.
 */
export async function announce(task: Task, outcome: RunOutcome, prepared: Pick<Prepared, 'live' | 'history'>, setup: RunSetup): Promise<void> {
  const { github, log, clock } = setup.ports;
  const redact = (s: string) => setup.redactor.redact(s);
  const on = task.receiptOn ?? outcome.pr?.number;
  if (task.spec.output === 'report' && outcome.summary && !outcome.summaryIsFallback) outcome.result = outcome.summary;
  if (on !== undefined && outcome.result) {
    const marker = `<!-- taskcap:result key=${task.key} -->`;
    const body = `${marker}\n### taskcap ${task.className} result\n\n${outcome.summary}`;
    await bestEffort(log, 'The result comment could not be written', () => upsertMarkedComment(github, on, marker, redact(body)), redact);
  }
  if (on !== undefined) {
    await bestEffort(
      log,
      'The receipt comment could not be written',
      async () => {
        const { live } = prepared;
        // A scheduled task's receipt lives on its PR, found (with its history) once the PR exists.
        const existing = live ? undefined : await findReceipt(github, on);
        const history = live ? prepared.history : existing ? readHistory(existing.body) : [];
        outcome.history = appendHistory(history, historyRowOf(outcome, { runId: runIdOf(setup.ctx), at: new Date(clock.now()).toISOString() }));
        const body = redact(renderReceipt(outcome));
        outcome.commentUrl = live ? await live.finish(body) : (await upsertReceipt(github, on, body, existing?.id)).url;
      },
      redact,
    );
  }
  if (task.threads?.length && task.target.kind === 'pull') await answerThreads(task, task.target.number, outcome, setup);
}

/** Each review comment gets its answer in its own thread, with the commit and a link to the receipt. */
async function answerThreads(task: Task, pull: number, outcome: RunOutcome, setup: RunSetup): Promise<void> {
  const redact = (s: string) => setup.redactor.redact(s);
  const answers = new Map<number, string>();
  for (const m of (outcome.summary ?? '').matchAll(THREAD_ANSWER)) answers.set(Number(m[1]), m[2].trim());
  const pushed = outcome.commitSha && outcome.pr?.operation === 'updated' ? `pushed ${outcome.commitSha.slice(0, 7)}` : 'no commit';
  const footer = `\n\n<sub>taskcap · ${pushed}${outcome.commentUrl ? ` · [receipt](${outcome.commentUrl})` : ''}</sub>`;
  for (const thread of task.threads ?? []) {
    const said = answers.get(thread.id);
    const text = (said ?? `taskcap did not address this comment in this run${outcome.reason ? `: ${defuse(outcome.reason)}` : '.'}`) + footer;
    await bestEffort(
      setup.ports.log,
      `The reply to review comment ${thread.id} could not be written`,
      () => setup.ports.github.replyToReviewComment(pull, thread.id, redact(`<!-- taskcap:reply -->\n${text}`)),
      redact,
    );
  }
}

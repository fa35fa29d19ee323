import type { RunSetup } from '../ports.js';
import { appendLedgerLine, LEDGER_BRANCH, LEDGER_FILE, readLedger } from '../publish/ledger-store.js';
import { postNotice } from '../publish/receipt-comment.js';
import { formatLedgerLine, ledgerEntry, monthToDateCost, parseLedger } from '../records/ledger.js';
import { emptyOutcome, type RunOutcome } from '../records/run-outcome.js';
import type { Task } from '../trigger/task.js';
import { bestEffort } from '../util/best-effort.js';
import { formatUsd } from '../util/format.js';
import { runIdOf } from './run-id.js';
import type { TaskResult } from './work-on-task.js';

/** This calendar month's spend, from the ledger on the repository. */
export async function spentThisMonth(setup: RunSetup): Promise<number> {
  const text = await readLedger(setup.ports.git, setup.credentials.auth);
  return monthToDateCost(parseLedger(text), new Date(setup.ports.clock.now()).toISOString());
}

/** The month's spend reached `max-monthly-cost-usd`: nothing starts, and the person who asked is told why. */
export async function refuseOverMonthlyCap(task: Task, setup: RunSetup, spent: number, cap: number): Promise<RunOutcome> {
  const { ctx, ports } = setup;
  const reason = `This month's taskcap spend is ${formatUsd(spent)}, which has reached the monthly cap of ${formatUsd(cap)} (max-monthly-cost-usd)`;
  ports.log.warn(`Refused: ${reason}.`);
  const on = task.receiptOn;
  if (on !== undefined && !setup.inputs.dryRun) {
    const ledger = `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/blob/${LEDGER_BRANCH}/${LEDGER_FILE}`;
    const text = `⛔ ${reason}, so this request was not started and nothing was spent. The spend per class is in [the ledger](${ledger}); run taskcap with \`mode: report\` for a summary, or raise the cap.`;
    await postNotice(ports.github, on, 'monthly-cap', text, ports.log);
  }
  return { ...emptyOutcome('refused', `${reason}.`), className: task.className, budget: task.budget };
}

/** One JSON line per run on the ledger branch (retried on a concurrent push; a failure only warns). */
export async function recordInLedger(task: Task, result: TaskResult, setup: RunSetup): Promise<void> {
  const { ctx, ports } = setup;
  await bestEffort(
    ports.log,
    'The ledger line could not be written',
    async () => {
      const entry = ledgerEntry(result.outcome, {
        at: result.endedAt,
        repository: `${ctx.owner}/${ctx.repo}`,
        runId: runIdOf(ctx),
        issue: task.target.kind === 'issue' ? task.target.number : undefined,
        pr: task.target.kind === 'pull' ? task.target.number : result.outcome.pr?.number,
      });
      await appendLedgerLine(ports.git, setup.credentials.auth, formatLedgerLine(entry), ports.clock);
      ports.log.info(`Ledger: appended this run to ${LEDGER_FILE} on ${LEDGER_BRANCH}.`);
    },
    (s) => setup.redactor.redact(s),
  );
}

import type { Inputs } from './inputs.js';
import type { Ports } from './work-on-task.js';
import { gitAuth } from './work-on-task.js';
import { LEDGER_BRANCH, readLedger } from './publish/ledger-store.js';
import { upsertMarkedComment } from './publish/receipt-comment.js';
import { monthToDateCost, parseLedger, renderLedgerReport, summarizeLedger } from './report/ledger.js';
import type { RunnerContext } from './runner-context.js';
import { errorMessage } from './util/errors.js';
import { Redactor } from './util/redact.js';

export const REPORT_MARKER = '<!-- taskcap:report -->';

/**
 * `mode: report`: read the ledger and write spend per class, with a recommended budget per class, for the job
 * summary (and as a comment on `report-issue`). No model call.
 */
export async function runReportMode(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<{ markdown: string; commentUrl?: string }> {
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken);
  const { auth } = await gitAuth({ ctx, inputs: { ...inputs, anthropicApiKey: inputs.anthropicApiKey ?? '' }, redactor, ports });
  const text = await readLedger(ports.git, auth);
  const entries = parseLedger(text);
  const now = new Date(ports.clock.now()).toISOString();
  const markdown = entries.length
    ? renderLedgerReport(summarizeLedger(entries, { now }), {
        monthToDateUsd: monthToDateCost(entries, now),
        monthlyCapUsd: inputs.maxMonthlyCostUsd,
      })
    : `## taskcap spend by class\n\nThe ledger is empty: no run has been recorded on the \`${LEDGER_BRANCH}\` branch yet. Set \`ledger: true\` on the workflows that run taskcap.`;
  ports.log.info(`Report: ${entries.length} ledger entries.`);
  let commentUrl: string | undefined;
  if (inputs.reportIssue !== undefined) {
    try {
      commentUrl = (await upsertMarkedComment(ports.github, inputs.reportIssue, REPORT_MARKER, `${REPORT_MARKER}\n${markdown}`)).url;
    } catch (e) {
      ports.log.warn(`The report comment on #${inputs.reportIssue} could not be written: ${errorMessage(e)}`);
    }
  }
  return { markdown, commentUrl };
}

import type { Inputs } from '../action/inputs.js';
import type { Ports } from '../ports.js';
import { resolveGitCredentials } from '../publish/credentials.js';
import { LEDGER_BRANCH, readLedger } from '../publish/ledger-store.js';
import { upsertMarkedComment } from '../publish/receipt-comment.js';
import { monthToDateCost, parseLedger, summarizeLedger } from '../records/ledger.js';
import { renderLedgerReport } from '../render/ledger-report.js';
import type { RunnerContext } from '../action/runner-context.js';
import { bestEffort } from '../util/best-effort.js';
import { Redactor } from '../util/redact.js';

export const REPORT_MARKER = '<!-- taskcap:report -->';

/**
 * `mode: report`: read the ledger and write spend per class, with a recommended budget per class, for the job
 * summary (and as a comment on `report-issue`). No model call.
 */
export async function runReportMode(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<{ markdown: string; commentUrl?: string }> {
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken);
  const { auth } = await resolveGitCredentials(ports.git, ctx.serverUrl, inputs.githubToken, redactor);
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
  const issue = inputs.reportIssue;
  if (issue !== undefined) {
    await bestEffort(ports.log, `The report comment on #${issue} could not be written`, async () => {
      commentUrl = (await upsertMarkedComment(ports.github, issue, REPORT_MARKER, `${REPORT_MARKER}\n${markdown}`)).url;
    });
  }
  return { markdown, commentUrl };
}

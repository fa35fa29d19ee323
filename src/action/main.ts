import fs from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../ports.js';
import type { RunRecord } from '../records/run-record.js';
import { outputsOf, type RunOutcome } from '../records/run-outcome.js';
import { renderJobSummary } from '../render/job-summary.js';
import { renderReceipt } from '../render/receipt.js';
import { runReportMode } from '../run/report-mode.js';
import { runTaskcap } from '../run/run-taskcap.js';
import { explainGitError } from '../publish/explain-git-error.js';
import { answerAndRethrow } from '../publish/user-notice.js';
import { runFanoutMode } from '../fanout/run-fanout-mode.js';
import type { FanoutModeResult } from '../fanout/fanout-mode.js';
import { bestEffort } from '../util/best-effort.js';
import { errorMessage } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';
import { inert, type ActionIO } from './io.js';
import { readInputs, type Inputs } from './inputs.js';
import { buildPorts } from './real-ports.js';
import { readRunnerContext, type RunnerContext } from './runner-context.js';

/**
 * The action: read the inputs and the runner, build the real ports, run the mode, publish the outputs. One catch:
 * whatever goes wrong fails the step with a message, never a stack trace and never a green step.
 */
export async function run(env: Record<string, string | undefined>, io: ActionIO, cancel: AbortSignal, clock: Clock = systemClock): Promise<void> {
  const { log } = io;
  try {
    const { inputs, ctx } = await log.group('Inputs', async () => {
      const inputs = readInputs(io, env);
      const ctx = readRunnerContext(env);
      log.debug(`inputs read (${ctx.eventName})`);
      return { inputs, ctx };
    });
    const ports = buildPorts(inputs, ctx, env, io, cancel, clock);
    if (inputs.mode === 'report' || (ctx.eventName === 'workflow_dispatch' && (ctx.payload.inputs as { mode?: unknown } | undefined)?.mode === 'report')) {
      const { markdown, commentUrl } = await runReportMode(inputs, ctx, ports);
      io.setOutput('status', 'completed');
      if (commentUrl) io.setOutput('comment-url', commentUrl);
      await io.appendSummary(markdown);
      return;
    }
    if (inputs.mode === 'plan' || inputs.mode === 'shard' || inputs.mode === 'collect') {
      await publishFanout(io, await runFanoutMode(inputs.mode, inputs, ctx, ports), inputs, ctx);
      return;
    }
        // A request that cannot be served because of what it asked or how taskcap is set up is answered where it was made.
    const { outcome, record, redactor } = await runTaskcap(inputs, ctx, ports).catch(answerAndRethrow(ctx, { github: ports.github, log, dryRun: inputs.dryRun }));
    await publishOutputs(io, outcome, record, inputs, ctx, redactor);
    if (outcome.status === 'failed') io.setFailed(outcome.reason ?? 'taskcap failed.');
  } catch (error) {
    io.setOutput('status', 'failed');
    io.setFailed(explainGitError(errorMessage(error)));
  }
}

/**
 * A fan-out mode's result. A shard's run is published like a `run`'s; its failure is a warning, not a red job: it is
 * recorded, its units return to the work list at collect, and the matrix and collect go on.
 */
async function publishFanout(io: ActionIO, result: FanoutModeResult, inputs: Inputs, ctx: RunnerContext): Promise<void> {
  if (result.run) await publishOutputs(io, result.run.outcome, result.run.record, inputs, ctx, result.run.redactor);
  else io.setOutput('status', result.status);
  for (const [name, value] of Object.entries(result.outputs)) io.setOutput(name, value);
  if (result.reason && (result.status === 'skipped' || result.status === 'refused')) io.log.info(`${result.status === 'skipped' ? 'Skipped' : 'Refused'}: ${result.reason}.`);
  else if (result.run && result.status !== 'completed' && result.status !== 'no-changes') io.log.warn(`The shard ended ${result.status}${result.reason ? `: ${result.reason}` : ''}. Its units go back to the work list at collect.`);
  if (result.summary) await io.appendSummary(result.summary);
  if (result.failure) io.setFailed(result.failure);
}

async function publishOutputs(io: ActionIO, outcome: RunOutcome, record: RunRecord | undefined, inputs: Inputs, ctx: RunnerContext, redactor: Redactor): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(outcome))) io.setOutput(name, value);
  if (record && ctx.runnerTemp) {
    const json = JSON.stringify(record, null, 2);
    // The record carries no free text by construction; a leak check is the second line of defence.
    if (redactor.leaks(json)) io.log.warn('The run record was not written: it matched a secret pattern.');
    else {
      const file = path.join(ctx.runnerTemp, `taskcap-run-record-${ctx.runId}-${ctx.runAttempt}.json`);
      fs.writeFileSync(file, json);
      io.setOutput('run-record', file);
      if (inputs.uploadRecord) {
        await bestEffort(io.log, 'The run record could not be uploaded as an artifact', async () => {
          await io.uploadArtifact(`taskcap-run-record-${ctx.runId}-${ctx.runAttempt}`, file);
          io.log.info('Uploaded the run record as a workflow artifact.');
        });
      }
    }
  }
  if (outcome.status === 'skipped' || outcome.status === 'refused') return;
  if (outcome.dryRun) io.log.info(`Receipt (dry run):\n${inert(renderReceipt(outcome))}`);
  // An explore/research result with nowhere to comment (a scheduled run that changed no file) still reaches people.
  const result = outcome.result ? `\n\n## Result\n\n${outcome.result}` : '';
  if (outcome.result && !outcome.commentUrl) io.log.info(`Result:\n${inert(outcome.result)}`);
  await io.appendSummary(renderJobSummary(outcome) + result);
}

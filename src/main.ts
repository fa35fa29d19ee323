import fs from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { createAnthropicModel } from './agent/model.js';
import { createGitHub, createOctokit } from './github/github.js';
import { readInputs, type Inputs } from './inputs.js';
import { systemClock, type Log } from './ports.js';
import { explainGitError } from './publish/explain-git-error.js';
import { Git } from './publish/git.js';
import { answerAndRethrow } from './publish/user-notice.js';
import { renderJobSummary } from './report/job-summary.js';
import { renderReceipt } from './report/receipt.js';
import type { RunRecord } from './report/run-record.js';
import { outputsOf, type RunReport } from './report/run-report.js';
import { runReportMode } from './report-mode.js';
import { runTaskcap, type Ports } from './run.js';
import { readRunnerContext, type RunnerContext } from './runner-context.js';
import { createSandboxShell } from './tools/sandbox.js';
import { errorMessage } from './util/errors.js';
import type { Redactor } from './util/redact.js';

/**
 * A log line may carry text from outside (titles, paths, a model's summary): it must never be read as a workflow
 * command, in the current `::cmd::` form at a line start or the legacy `##[cmd]` form anywhere.
 */
const inert = (m: string) => m.replace(/^(\s*)::/gm, '$1:\u200b:').replace(/##\[/g, '#\u200b#[');

const coreLog: Log = {
  info: (m) => core.info(inert(m)),
  warn: (m) => core.warning(inert(m)),
  // Debug lines carry the time since the process started: where the action's own time goes (RUNNER_DEBUG=1).
  debug: (m) => core.debug(inert(`[+${Math.round(performance.now())} ms] ${m}`)),
};

/** The entry point: read inputs and the runner, build the real ports, run, publish outputs. One catch. */
export async function run(): Promise<void> {
  const cancel = new AbortController();
  // A cancelled workflow sends SIGINT, then SIGTERM 7.5 s later: stop the loop and deliver what exists.
  const onSignal = (signal: string) => {
    if (!cancel.signal.aborted) core.warning(`Received ${signal}: stopping the loop and delivering the work done so far.`);
    cancel.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    const inputs = readInputs();
    const ctx = readRunnerContext(process.env);
    coreLog.debug(`inputs read (${ctx.eventName})`);
    // The SDK is large: it loads once a task is known to need it, while the sandbox probe and the lookups run.
    let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;
    const octokit = createOctokit(inputs.githubToken, ctx.apiUrl, coreLog);
    const ports: Ports = {
      github: createGitHub(octokit, ctx.owner, ctx.repo),
      makeModel: async (apiKey) => {
        const loaded = await (sdk ??= import('@anthropic-ai/sdk'));
        return createAnthropicModel(loaded, new loaded.default({ apiKey, maxRetries: 0 }));
      },
      git: new Git(ctx.workspace),
      // Made per task, after the gate: a skipped or refused event never touches the machine's sandbox settings.
      makeShell: ({ workspace, agentHome }) =>
        createSandboxShell({
          mode: inputs.sandbox,
          workspace,
          agentHome,
          hide: [ctx.runnerTemp, process.env.HOME ?? ''].filter((d) => d && d !== '/'),
          log: coreLog,
        }),
      clock: systemClock,
      log: coreLog,
      cancel: cancel.signal,
      environment: process.env,
    };
    if (inputs.mode === 'report' || (ctx.eventName === 'workflow_dispatch' && (ctx.payload.inputs as { mode?: unknown } | undefined)?.mode === 'report')) {
      const { markdown, commentUrl } = await runReportMode(inputs, ctx, ports);
      core.setOutput('status', 'completed');
      if (commentUrl) core.setOutput('comment-url', commentUrl);
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
      return;
    }
    // A request that cannot be served because of what it asked or how taskcap is set up is answered where it was made.
    const { report, record, redactor } = await runTaskcap(inputs, ctx, ports).catch(answerAndRethrow(ctx, { github: ports.github, log: coreLog, dryRun: inputs.dryRun }));
    await publishOutputs(report, record, inputs, ctx, redactor);
    if (report.status === 'failed') core.setFailed(inert(report.reason ?? 'taskcap failed.'));
  } catch (error) {
    core.setOutput('status', 'failed');
    core.setFailed(inert(explainGitError(errorMessage(error))));
  }
}

async function publishOutputs(report: RunReport, record: RunRecord | undefined, inputs: Inputs, ctx: RunnerContext, redactor: Redactor): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  if (record && ctx.runnerTemp) {
    const json = JSON.stringify(record, null, 2);
    // The record carries no free text by construction; a leak check is the second line of defence.
    if (redactor.leaks(json)) core.warning('The run record was not written: it matched a secret pattern.');
    else {
      const file = path.join(ctx.runnerTemp, `taskcap-run-record-${ctx.runId}-${ctx.runAttempt}.json`);
      fs.writeFileSync(file, json);
      core.setOutput('run-record', file);
      if (inputs.uploadRecord) await uploadRecord(file, ctx);
    }
  }
  if (report.status === 'skipped' || report.status === 'refused') return;
  if (report.dryRun) core.info(`Receipt (dry run):\n${inert(renderReceipt(report))}`);
  // An explore/research result with nowhere to comment (a scheduled run that changed no file) still reaches people.
  const result = report.result ? `\n\n## Result\n\n${report.result}` : '';
  if (report.result && !report.commentUrl) core.info(`Result:\n${inert(report.result)}`);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderJobSummary(report) + result, true).write();
}

/** The run record as a workflow artifact (loaded only when asked: the artifact client is large). */
async function uploadRecord(file: string, ctx: RunnerContext): Promise<void> {
  try {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    await new DefaultArtifactClient().uploadArtifact(`taskcap-run-record-${ctx.runId}-${ctx.runAttempt}`, [file], path.dirname(file), { retentionDays: 30 });
    core.info('Uploaded the run record as a workflow artifact.');
  } catch (e) {
    core.warning(`The run record could not be uploaded as an artifact: ${errorMessage(e)}`);
  }
}

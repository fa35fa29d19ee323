import * as core from '@actions/core';
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropicModel } from './agent/model.js';
import { createGitHub, createOctokit } from './github/github.js';
import { readInputs } from './inputs.js';
import { systemClock, type Log } from './ports.js';
import { Git } from './publish/git.js';
import { renderReceipt } from './report/receipt.js';
import { outputsOf, type RunReport } from './report/run-report.js';
import { runTaskcap } from './run.js';
import { readRunnerContext } from './runner-context.js';
import { createHostShell } from './tools/shell.js';
import { errorMessage } from './util/errors.js';

/** A log line may carry text from outside (titles, paths): it must never be read as a workflow command. */
const inert = (m: string) => m.replace(/^(\s*)::/gm, '$1:\u200b:');

const coreLog: Log = {
  info: (m) => core.info(inert(m)),
  warn: (m) => core.warning(inert(m)),
  debug: (m) => core.debug(inert(m)),
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
    const octokit = createOctokit(inputs.githubToken, ctx.apiUrl, coreLog);
    const report = await runTaskcap(inputs, ctx, {
      github: createGitHub(octokit, ctx.owner, ctx.repo),
      makeModel: (apiKey) => createAnthropicModel(new Anthropic({ apiKey, maxRetries: 0 })),
      git: new Git(ctx.workspace),
      shell: createHostShell(),
      clock: systemClock,
      log: coreLog,
      cancel: cancel.signal,
    });
    await publishOutputs(report);
    if (report.status === 'failed') core.setFailed(report.reason ?? 'taskcap failed.');
  } catch (error) {
    core.setOutput('status', 'failed');
    core.setFailed(inert(errorMessage(error)));
  }
}

async function publishOutputs(report: RunReport): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  if (report.status === 'skipped' || report.status === 'refused') return;
  const receipt = renderReceipt(report);
  if (report.dryRun) core.info(`Receipt (dry run):\n${inert(receipt)}`);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(receipt, true).write();
}

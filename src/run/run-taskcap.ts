import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import { CREDENTIAL_GLOBS } from '../agent/providers/credential-vault.js';
import { providerForRun } from '../agent/providers/run-provider.js';
import type { TaskcapConfig } from '../config/config.js';
import { monthlyCapOf, resolveSettings } from '../config/settings.js';
import type { Ports, RunSetup } from '../ports.js';
import { resolveGitCredentials } from '../publish/credentials.js';
import { postNotice } from '../publish/receipt-comment.js';
import { buildRunRecord, type RunRecord } from '../records/run-record.js';
import { combineOutcomes, emptyOutcome, type RunOutcome } from '../records/run-outcome.js';
import { DEFAULT_PROTECTED } from '../tools/protected-paths.js';
import { buildTask } from '../trigger/build-task.js';
import { errorMessage, NoticeError, UserError } from '../util/errors.js';
import { runUrl } from '../action/runner-context.js';
import { answerWhereAsked, missingKeyError } from '../publish/user-notice.js';
import { checkWorkspace } from '../publish/workspace-check.js';
import { defaultBranchCommit } from '../context/tree.js';
import { Redactor } from '../util/redact.js';
import { decideTasks, type Decided } from './decide-tasks.js';
import { recordInLedger, refuseOverMonthlyCap, spentThisMonth } from './spend-guard.js';
import { workOnTask, type TaskResult } from './work-on-task.js';

export interface RunResult {
  outcome: RunOutcome;
  /** The run record of the (last) task that ran, for the `run-record` output. */
  record?: RunRecord;
  redactor: Redactor;
}

/**
 * One taskcap run: event → task(s) → gate → capped loop → publication → receipt → ledger. A skipped or refused
 * event makes no model call and no write (a fork PR or a spent monthly cap gets one explanatory comment).
 */
export async function runTaskcap(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<RunResult> {
  const { log, clock } = ports;
  const started = clock.now();
  // Secret-named variables of the step's environment too: without a sandbox a command could read them.
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken).addEnvironment(ports.environment ?? {});
  const decided = await log.group('Gate', () => decideTasks(inputs, ctx, ports));
  switch (decided.kind) {
    case 'skip':
      log.info(`Skipped: ${decided.reason}.`);
      return { outcome: emptyOutcome('skipped', decided.reason), redactor };
    case 'refuse':
      log.warn(`Refused: ${decided.reason}.`);
      await answerWhereAsked(decided.trigger, decided.notice, { github: ports.github, log, runUrl: runUrl(ctx), dryRun: inputs.dryRun });
      return { outcome: { ...emptyOutcome('refused', decided.reason), className: decided.asked?.className, budget: decided.asked?.budget }, redactor };
    case 'invalid':
      // Answered where it was asked by the action's catch (a NoticeError), then the step fails.
      throw new NoticeError(decided.reason, decided.notice);
  }
  const setup = await settle(decided.value.config, decided.value.intents.map((i) => i.className), inputs, ctx, ports, redactor, started);
  const results = await runTasks(decided.value, setup);
  const outcome = combineOutcomes(results.map((r) => r.outcome));
  const last = results.filter((r) => r.ran).pop();
  return { outcome, record: last && recordOf(last, ctx), redactor };
}

/**
 * What every task shares. Where Claude is reached: exactly one way to sign in, checked here, before any request or
 * write; unknown models fail here too. (The fan-out modes settle the same way for the classes they run.)
 */
export async function settle(
  config: TaskcapConfig,
  classNames: string[],
  inputs: Inputs,
  ctx: RunnerContext,
  ports: Ports,
  redactor: Redactor,
  started: number,
): Promise<RunSetup> {
  const provider = signIn(inputs, ports.environment ?? {}, ctx.workspace);
  for (const secret of provider.secrets) redactor.add(secret);
  ports.log.info(`Claude: ${provider.description}.`);
  for (const className of classNames) resolveSettings(className, config, inputs, provider);
  // Read while the workspace is checked (both only read git's config); the check's error, if any, comes first.
  const credentials = resolveGitCredentials(ports.git, ctx.serverUrl, inputs.githubToken, redactor);
  credentials.catch(() => undefined);
  // Nothing is written before the workspace is known to be a checkout of this repository.
  await checkWorkspace(ports.git, ctx);
  return {
    inputs,
    provider,
    ctx,
    ports,
    config,
    redactor,
    started,
    credentials: await credentials,
    // Credential files a cloud's setup step leaves in the workspace (gha-creds-*.json) are never committed.
    protectedGlobs: [...DEFAULT_PROTECTED, inputs.configPath, ...inputs.protectedPaths, ...CREDENTIAL_GLOBS],
  };
}

/**
 * The provider and how taskcap signs in there. A setup that offers no way (or two) is a failure the person who asked
 * hears about, without the details (those are in the run log, for maintainers).
 */
function signIn(inputs: Inputs, env: Record<string, string | undefined>, workspace: string): ReturnType<typeof providerForRun> {
  try {
    return providerForRun(inputs, env, workspace);
  } catch (e) {
    if (!(e instanceof UserError) || e instanceof NoticeError) throw e;
    const noKey = e.message.includes("'anthropic-api-key' is empty");
    throw new NoticeError(e.message, noKey ? missingKeyError().notice : { cause: 'setup', text: "taskcap cannot sign in to Claude with this workflow's settings, so nothing was started. A maintainer can see what to change in the run log." });
  }
}

/** Each intent as a task, one after another (several scheduled tasks each start from the default branch's tip). */
async function runTasks(decided: Decided, shared: RunSetup): Promise<(TaskResult & { ran: boolean })[]> {
  const { inputs, ports, config } = shared;
  const { github, log } = ports;
  const monthlyCap = monthlyCapOf(config, inputs);
  const startSha = await ports.git.output(['rev-parse', 'HEAD']);
  // Read once, before any task moves HEAD: every task of the run gets the same repository context.
  const contextSha = await defaultBranchCommit(ports.git, decided.defaultBranch, shared.credentials.auth).catch((e) => {
    log.warn(`The default branch could not be read for the repository context (${errorMessage(e)}); the run goes without it.`);
    return undefined;
  });
  const setup: RunSetup = { ...shared, ...(contextSha ? { contextCommit: { sha: contextSha, branch: decided.defaultBranch } } : {}) };
  const results: (TaskResult & { ran: boolean })[] = [];
  const stopped = (outcome: RunOutcome): TaskResult & { ran: boolean } => ({ outcome, toolCalls: [], limitsHit: [], startedAt: '', endedAt: '', ran: false });
  for (const intent of decided.intents) {
    if (ports.cancel.aborted) break;
    const built = await buildTask(intent, { github, config, defaultBranch: decided.defaultBranch, log });
    if (built.kind === 'skip') {
      log.info(`Skipped: ${built.reason}.`);
      results.push(stopped(emptyOutcome('skipped', built.reason)));
      continue;
    }
    if (built.kind !== 'go') {
      log.warn(`Refused: ${built.reason}.`);
      if (built.kind === 'refuse' && built.notice?.on !== undefined && !inputs.dryRun) await postNotice(github, built.notice.on, built.notice.cause, built.notice.text, log);
      results.push(stopped({ ...emptyOutcome('refused', built.reason), className: intent.className, budget: intent.budget }));
      continue;
    }
    const task = built.value;
    if (monthlyCap !== undefined) {
      const spent = await spentThisMonth(setup);
      if (spent >= monthlyCap) {
        results.push(stopped(await refuseOverMonthlyCap(task, setup, spent, monthlyCap)));
        continue;
      }
    }
    if (results.some((r) => r.ran)) await ports.git.run(['checkout', '--force', '--detach', startSha]).then(() => ports.git.run(['clean', '-ffdq']));
    const result = await workOnTask(task, setup);
    results.push({ ...result, ran: true });
    if (inputs.ledger && !inputs.dryRun) await recordInLedger(task, result, setup);
  }
  return results;
}

/** The run record of one task that ran. */
export function recordOf(result: TaskResult, ctx: RunnerContext): RunRecord {
  return buildRunRecord(result.outcome, {
    repository: `${ctx.owner}/${ctx.repo}`,
    runId: ctx.runId,
    runAttempt: ctx.runAttempt,
    eventName: ctx.eventName,
    target: result.outcome.target ?? '',
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    toolCalls: result.toolCalls,
    limitsHit: result.limitsHit,
  });
}

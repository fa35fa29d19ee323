import type { TaskcapConfig } from './config/config.js';
import { defaultConfig } from './config/config.js';
import { chooseModel, resolveModel } from './config/resolve-model.js';
import type { Inputs } from './inputs.js';
import { appendLedgerLine, LEDGER_BRANCH, LEDGER_FILE, readLedger } from './publish/ledger-store.js';
import { postNotice } from './publish/receipt-comment.js';
import { answerWhereAsked, missingKeyError } from './publish/user-notice.js';
import { checkWorkspace } from './publish/workspace-check.js';
import { ledgerEntry, formatLedgerLine, monthToDateCost, parseLedger } from './report/ledger.js';
import { buildRunRecord, type RunRecord } from './report/run-record.js';
import { combineReports, emptyReport, type RunReport } from './report/run-report.js';
import { runUrl, type RunnerContext } from './runner-context.js';
import { DEFAULT_PROTECTED } from './tools/protected-paths.js';
import { buildTask } from './trigger/build-task.js';
import { checkPermission, type Verdict } from './trigger/gate.js';
import { intentsFor } from './trigger/intent.js';
import { routeEvent, type Trigger } from './trigger/route-event.js';
import type { Task } from './trigger/task.js';
import { errorMessage, NoticeError, UserError } from './util/errors.js';
import { formatUsd } from './util/format.js';
import { Redactor } from './util/redact.js';
import { gitAuth, runIdOf, workOnTask, type Ports, type RunSetup, type TaskResult } from './work-on-task.js';

export type { Ports } from './work-on-task.js';

export interface RunResult {
  report: RunReport;
  /** The run record of the (last) task that ran, for the `run-record` output. */
  record?: RunRecord;
  redactor: Redactor;
}

/**
 * One taskcap run: event → task(s) → gate → capped loop → publication → receipt → ledger. A skipped or refused
 * event makes no model call and no write (a fork PR or a spent monthly cap gets one explanatory comment).
 */
export async function runTaskcap(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<RunResult> {
  const { github, log, clock } = ports;
  const started = clock.now();
  // Secret-named variables of the step's environment too: without a sandbox a command could read them.
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken).addEnvironment(ports.environment ?? {});
  const done = (report: RunReport, record?: RunRecord): RunResult => ({ report, record, redactor });

  const trigger = routeEvent(ctx.eventName, ctx.payload);
  if ('skip' in trigger) return done(skipped(trigger.reason, log));

  // The config comes from the default branch only: a pull request cannot raise its own budget. A broken config
  // is reported only to someone allowed to run taskcap (anyone else is refused first, so cannot fail the job).
  const defaultBranch = defaultBranchOf(ctx.payload) ?? (await github.defaultBranch());
  // Both are reads: the config and the requester's permission are fetched together.
  const [loaded, verdict] = await Promise.all([
    loadConfig(inputs.configPath, defaultBranch, ports).then(
      (config) => ({ config, error: undefined }),
      (error: unknown) => ({ config: undefined, error }),
    ),
    gate(trigger, ctx, inputs, ports),
  ]);
  log.debug('config read, permission checked');
  const { config, error: configError } = loaded;
  const intents = config ? intentsFor(trigger, config) : undefined;
  if (intents && 'skip' in intents) return done(skipped(intents.reason, log));

  if (verdict) {
    log.warn(`Refused: ${verdict.reason}.`);
    // Only a request meant for taskcap (the config read it as one) is answered on the issue.
    if (intents) await answerWhereAsked(trigger, verdict.notice, { github, log, runUrl: runUrl(ctx), dryRun: inputs.dryRun });
    const first = Array.isArray(intents) ? intents[0] : undefined;
    return done({ ...emptyReport('refused', verdict.reason), className: first?.className, budget: first?.budget });
  }
  if (configError || !config || !intents) throw configError;
  if ('invalid' in intents) throw new NoticeError(intents.invalid, intents.notice);
  if (!inputs.anthropicApiKey) throw missingKeyError();
  const setup: RunSetup = {
    inputs: { ...inputs, anthropicApiKey: inputs.anthropicApiKey },
    ctx,
    ports,
    config,
    redactor,
    started,
    protectedGlobs: [...DEFAULT_PROTECTED, inputs.configPath, ...inputs.protectedPaths],
    passthroughEnv: inputs.allowedEnv,
    model: (task) => resolveModel(task.spec.model ?? config.model ?? inputs.model, config),
  };
  // Unknown models fail here, before any request or write.
  for (const intent of intents) {
    const chosen = chooseModel(intent.className, config, inputs);
    resolveModel(chosen.id, config, chosen.where);
  }
  const monthlyCap = inputs.maxMonthlyCostUsd ?? config.maxMonthlyCostUsd;

  // Nothing is written before the workspace is known to be a checkout of this repository.
  await checkWorkspace(ports.git, ctx);
  const startSha = await ports.git.output(['rev-parse', 'HEAD']);
  const results: TaskResult[] = [];
  const reports: RunReport[] = [];
  for (const intent of intents) {
    if (ports.cancel.aborted) break;
    const built = await buildTask(intent, { github, config, defaultBranch, log });
    if ('skip' in built) {
      log.info(`Skipped: ${built.reason}.`);
      reports.push(emptyReport('skipped', built.reason));
      continue;
    }
    if ('refuse' in built) {
      log.warn(`Refused: ${built.refuse}.`);
      if (built.notice && !inputs.dryRun) await postNotice(github, built.notice.on, built.notice.kind, built.notice.text, log);
      reports.push({ ...emptyReport('refused', built.refuse), className: intent.className, budget: intent.budget });
      continue;
    }
    if (monthlyCap !== undefined) {
      const spent = await monthSpend(setup);
      if (spent >= monthlyCap) {
        reports.push(await refuseOverMonthlyCap(built, setup, spent, monthlyCap));
        continue;
      }
    }
    // Several scheduled tasks run one after another, each from the default branch's tip.
    if (results.length > 0) await ports.git.run(['checkout', '--force', '--detach', startSha]).then(() => ports.git.run(['clean', '-ffdq']));
    const result = await workOnTask(built, setup);
    results.push(result);
    reports.push(result.report);
    if (inputs.ledger && !inputs.dryRun) await recordInLedger(built, result, setup);
  }
  const last = results[results.length - 1];
  const record = last
    ? buildRunRecord(last.report, {
        repository: `${ctx.owner}/${ctx.repo}`,
        runId: ctx.runId,
        runAttempt: ctx.runAttempt,
        eventName: ctx.eventName,
        target: last.report.target ?? '',
        startedAt: last.startedAt,
        endedAt: last.endedAt,
        toolCalls: last.toolCalls,
        limitsHit: last.limitsHit,
      })
    : undefined;
  return done(combineReports(reports), record);
}

/** This calendar month's spend, from the ledger on the repository. */
async function monthSpend(s: RunSetup): Promise<number> {
  const { auth } = await gitAuth(s);
  const text = await readLedger(s.ports.git, auth);
  return monthToDateCost(parseLedger(text), new Date(s.ports.clock.now()).toISOString());
}

async function refuseOverMonthlyCap(task: Task, s: RunSetup, spent: number, cap: number): Promise<RunReport> {
  const { ctx, ports } = s;
  const reason = `This month's taskcap spend is ${formatUsd(spent)}, which has reached the monthly cap of ${formatUsd(cap)} (max-monthly-cost-usd)`;
  ports.log.warn(`Refused: ${reason}.`);
  const on = task.receiptOn;
  if (on !== undefined && !s.inputs.dryRun) {
    const ledger = `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/blob/${LEDGER_BRANCH}/${LEDGER_FILE}`;
    const text = `⛔ ${reason}, so this request was not started and nothing was spent. The spend per class is in [the ledger](${ledger}); run taskcap with \`mode: report\` for a summary, or raise the cap.`;
    await postNotice(ports.github, on, 'monthly-cap', text, ports.log);
  }
  return { ...emptyReport('refused', `${reason}.`), className: task.className, budget: task.budget };
}

/** One JSON line per run on the ledger branch (retried on a concurrent push; a failure only warns). */
async function recordInLedger(task: Task, result: TaskResult, s: RunSetup): Promise<void> {
  const { ctx, ports } = s;
  try {
    const { auth } = await gitAuth(s);
    const entry = ledgerEntry(result.report, {
      at: result.endedAt,
      repository: `${ctx.owner}/${ctx.repo}`,
      runId: runIdOf(ctx),
      issue: task.target.kind === 'issue' ? task.target.number : undefined,
      pr: task.target.kind === 'pull' ? task.target.number : result.report.pr?.number,
    });
    await appendLedgerLine(ports.git, auth, formatLedgerLine(entry), ports.clock);
    ports.log.info(`Ledger: appended this run to ${LEDGER_FILE} on ${LEDGER_BRANCH}.`);
  } catch (e) {
    ports.log.warn(`The ledger line could not be written: ${s.redactor.redact(errorMessage(e))}`);
  }
}

function skipped(reason: string, log: Ports['log']): RunReport {
  log.info(`Skipped: ${reason}.`);
  return emptyReport('skipped', reason);
}

function defaultBranchOf(payload: Record<string, unknown>): string | undefined {
  const repo = payload.repository as { default_branch?: unknown } | undefined;
  return typeof repo?.default_branch === 'string' && repo.default_branch ? repo.default_branch : undefined;
}

async function loadConfig(configPath: string, defaultBranch: string, ports: Ports): Promise<TaskcapConfig> {
  const text = await ports.github.readFile(configPath, defaultBranch);
  if (text === undefined) {
    ports.log.debug(`No ${configPath} on ${defaultBranch}; using the built-in classes.`);
    return defaultConfig();
  }
  // The YAML parser loads only when there is YAML to parse: most repositories run on the built-in classes.
  const { ConfigError, parseConfig } = await import('./config/load-config.js');
  try {
    return parseConfig(text, configPath);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new UserError(`The taskcap config '${configPath}' could not be read: ${(e as Error).message}`);
  }
}

/** Who may spend: the sender (and a re-runner) need write access; schedules run only what the default branch configures. */
async function gate(trigger: Trigger, ctx: RunnerContext, inputs: Inputs, ports: Ports): Promise<Exclude<Verdict, { allowed: true }> | undefined> {
  if (trigger.kind === 'schedule') return undefined;
  const verdict = await checkPermission(ports.github, {
    sender: trigger.sender.login ? trigger.sender : undefined,
    triggeringActor: ctx.runAttempt > 1 ? ctx.triggeringActor : undefined,
    allowedBots: inputs.allowedBots,
  });
  return verdict.allowed ? undefined : verdict;
}

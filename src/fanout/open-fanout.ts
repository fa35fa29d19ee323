import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import type { ConfiguredTask, TaskcapConfig } from '../config/config.js';
import { readRepoConfig } from '../config/read-repo-config.js';
import { go, skip, type Decision } from '../decision.js';
import type { Ports } from '../ports.js';
import { resolveGitCredentials, type GitCredentials } from '../publish/credentials.js';
import { checkPermission } from '../trigger/gate.js';
import { UserError } from '../util/errors.js';
import { Redactor } from '../util/redact.js';
import type { FanoutSpec } from './fanout-spec.js';
import type { FanoutState } from './fanout-state.js';

/** A configured fan-out task, by name. */
export interface FanoutTask {
  name: string;
  task: ConfiguredTask & { fanout: FanoutSpec };
  kind: FanoutState['kind'];
}

/** What plan, shard and collect share once the gate has let the run through. */
export interface Fanout {
  inputs: Inputs;
  ctx: RunnerContext;
  ports: Ports;
  config: TaskcapConfig;
  defaultBranch: string;
  redactor: Redactor;
  credentials: GitCredentials;
  tasks: FanoutTask[];
  /** This job, as state and ledger name it: `<run id>` or `<run id>-<attempt>`. */
  runKey: string;
}

export const kindOf = (task: ConfiguredTask & { fanout: FanoutSpec }): FanoutState['kind'] => (task.fanout.sweep ? 'sweep' : 'migration');

/**
 * Gate, config, tasks, credentials. Who may start fan-out work: a schedule runs what the default branch configures;
 * anything else needs a sender (and a re-runner) with write access, as for every taskcap run. The task is the
 * `task` input (or the dispatch's `task`); a schedule with none takes every due fan-out task.
 */
export async function openFanout(inputs: Inputs, ctx: RunnerContext, ports: Ports, taskName?: string): Promise<Decision<Fanout>> {
  const redactor = new Redactor().add(inputs.anthropicApiKey).add(inputs.githubToken).addEnvironment(ports.environment ?? {});
  if (ctx.eventName !== 'schedule') {
    const sender = ctx.payload.sender as { login?: unknown; type?: unknown } | undefined;
    const verdict = await checkPermission(ports.github, {
      sender: typeof sender?.login === 'string' ? { login: sender.login, type: typeof sender.type === 'string' ? sender.type : undefined } : undefined,
      triggeringActor: ctx.runAttempt > 1 ? ctx.triggeringActor : undefined,
      allowedBots: inputs.allowedBots,
    });
    if (verdict.kind !== 'go') return verdict;
  }
  const repository = ctx.payload.repository as { default_branch?: unknown } | undefined;
  const defaultBranch = typeof repository?.default_branch === 'string' && repository.default_branch ? repository.default_branch : await ports.github.defaultBranch();
  const config = await readRepoConfig(ports.github, inputs.configPath, defaultBranch, ports.log);
  const tasks = pickTasks(config, ctx, inputs.mode, taskName ?? inputs.task ?? dispatchedTask(ctx));
  if (tasks.kind !== 'go') return tasks;
  const credentials = await resolveGitCredentials(ports.git, ctx.serverUrl, inputs.githubToken, redactor);
  const runKey = ctx.runAttempt > 1 ? `${ctx.runId}-${ctx.runAttempt}` : ctx.runId;
  return go({ inputs, ctx, ports, config, defaultBranch, redactor, credentials, tasks: tasks.value, runKey });
}

function dispatchedTask(ctx: RunnerContext): string | undefined {
  if (ctx.eventName !== 'workflow_dispatch') return undefined;
  const task = (ctx.payload.inputs as { task?: unknown } | undefined)?.task;
  return typeof task === 'string' && task.trim() ? task.trim() : undefined;
}

function pickTasks(config: TaskcapConfig, ctx: RunnerContext, mode: string, name: string | undefined): Decision<FanoutTask[]> {
  const fanouts = Object.entries(config.tasks).filter((e): e is [string, ConfiguredTask & { fanout: FanoutSpec }] => e[1].fanout !== undefined);
  const known = fanouts.map(([n]) => n).join(', ') || 'none';
  if (name) {
    const task = config.tasks[name];
    if (!task) throw new UserError(`Input 'task' names '${name}', which .github/taskcap.yml on the default branch does not define (fan-out tasks: ${known}).`);
    if (!task.fanout) throw new UserError(`Input 'task': '${name}' is not a fan-out task (it has no units or sweep), so mode: ${mode} has nothing to plan. Run it with mode: run, or add units to it.`);
    return go([{ name, task: task as ConfiguredTask & { fanout: FanoutSpec }, kind: kindOf(task as ConfiguredTask & { fanout: FanoutSpec }) }]);
  }
  if (ctx.eventName === 'schedule') {
    const cron = String((ctx.payload as { schedule?: unknown }).schedule ?? '').trim();
    const due = fanouts.filter(([, t]) => t.schedule === cron);
    if (due.length === 0) return skip(`no fan-out task in the config has schedule '${cron}'`);
    return go(due.map(([n, task]) => ({ name: n, task, kind: kindOf(task) })));
  }
  throw new UserError(`mode: ${mode} needs the task to work on: set the 'task' input (fan-out tasks: ${known}).`);
}

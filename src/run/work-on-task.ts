import type { LoopOutcome } from '../agent/loop.js';
import { resolveSettings, type TaskSettings } from '../config/settings.js';
import type { RunSetup } from '../ports.js';
import { emptyOutcome, type RunOutcome } from '../records/run-outcome.js';
import type { ToolCallMeta } from '../records/run-record.js';
import type { Task } from '../trigger/task.js';
import type { LimitName } from '../vocabulary.js';
import { announce } from './announce.js';
import { openPublishRepo } from '../publish/publish-repo.js';
import { deliver } from './deliver.js';
import { prepare } from './prepare.js';
import { runAgent } from './run-agent.js';
import { guardWorkspace } from './workspace-guard.js';

/** A task's outcome plus what only the run record keeps. */
export interface TaskResult {
  outcome: RunOutcome;
  toolCalls: ToolCallMeta[];
  limitsHit: LimitName[];
  startedAt: string;
  endedAt: string;
}

/**
 * One task, as its stages: prepare (sandbox, branch, lookups) → guard the workspace → run the agent (loop, tests)
 * → deliver (patch, status, push, PR) → announce (receipt, result, replies).
 */
export async function workOnTask(task: Task, setup: RunSetup): Promise<TaskResult> {
  const { ports, inputs } = setup;
  const { log, clock } = ports;
  const startedAt = new Date(clock.now()).toISOString();
  const settings = withCostShare(resolveSettings(task.className, setup.config, inputs, setup.provider), task.maxCostUsd);
  const prepared = await log.group(`Task ${task.key}`, () => prepare(task, settings, setup));
  if (!prepared.ready) {
    const outcome = { ...emptyOutcome('failed', prepared.reason), className: task.className, budget: task.budget, branch: prepared.branch };
    return taskResult(outcome, startedAt, clock.now());
  }
  try {
    const guard = await guardWorkspace(ports.git, setup.credentials, setup.ctx.serverUrl, setup.provider.vault);
    // taskcap's own repository for staging and pushing, opened before the agent runs (see publish-repo.ts).
    const repo = await openPublishRepo(ports.git).catch(async (e) => {
      await guard.release();
      throw e;
    });
    try {
      const work = await runAgent(task, settings, prepared, setup, repo);
      guard.restoreGitDir();
      const outcome = await log.group('Delivery', () => deliver(task, settings, work, prepared, repo, setup));
      outcome.wallMs = clock.now() - setup.started;
      if (inputs.dryRun) log.info('Dry run: nothing pushed, no PR, no comment.');
      else await log.group('Receipt', () => announce(task, outcome, prepared, setup));
      return taskResult(outcome, startedAt, clock.now(), work.loop);
    } finally {
      repo.dispose();
      await guard.release();
    }
  } finally {
    await prepared.dispose();
  }
}

/** A task with a share of a pool's dollars never runs above it, whatever the class or the input allows. */
function withCostShare(settings: TaskSettings, share: number | undefined): TaskSettings {
  return share === undefined ? settings : { ...settings, maxCostUsd: Math.min(settings.maxCostUsd ?? Infinity, share) };
}

function taskResult(outcome: RunOutcome, startedAt: string, endedAt: number, loop?: LoopOutcome): TaskResult {
  return {
    outcome,
    toolCalls: (loop?.tools ?? []).map((t) => ({ name: t.name, durationMs: t.durationMs, resultBytes: t.resultBytes, isError: t.isError })),
    limitsHit: limitsOf(outcome, loop),
    startedAt,
    endedAt: new Date(endedAt).toISOString(),
  };
}

/** The limits that shaped the run, as the run record names them. */
function limitsOf(outcome: RunOutcome, loop?: LoopOutcome): LimitName[] {
  const limits: LimitName[] = [];
  const end = loop?.endReason;
  if (end === 'budget' || end === 'cost' || end === 'timeout' || end === 'context-window') limits.push(end);
  if (loop?.requests.some((r) => r.stopReason === 'max_tokens' && r.maxTokens >= 64_000)) limits.push('max-output');
  if (outcome.tests?.timedOut) limits.push('tests-timeout');
  return limits;
}

import { resolveSettings } from '../config/settings.js';
import { runAgent } from '../run/run-agent.js';
import { settle } from '../run/run-taskcap.js';
import { openPublishRepo } from '../publish/publish-repo.js';
import { revertSince, snapshotWorkTree } from '../publish/revert-work-tree.js';
import { guardWorkspace } from '../run/workspace-guard.js';
import type { Prepared } from '../run/prepare.js';
import type { Task } from '../trigger/task.js';
import { createAgentHome } from '../tools/workbench.js';
import { UserError } from '../util/errors.js';
import type { UnitSource } from './fanout-spec.js';
import type { Fanout, FanoutTask } from './open-fanout.js';
import { isUnit, type WorkList } from './work-list.js';
import { taskBranchOf } from './shard-id.js';

/** The one fenced block the discovery answer must contain: ```units … ``` */
const UNITS_BLOCK = /^```units[ \t]*\n([\s\S]*?)\n```[ \t]*$/gm;

/**
 * Parse the discovery answer strictly: exactly one ```units block, one unit per line, every line a unit, at most
 * `max` of them. Anything else is an error that says what was wrong, never a guess.
 */
export function parseDiscovered(answer: string, max: number): string[] {
  const blocks = [...answer.matchAll(UNITS_BLOCK)];
  if (blocks.length !== 1) throw new UserError(`The discovery pass must answer with exactly one \`\`\`units block (one unit per line); its answer had ${blocks.length}.`);
  const lines = blocks[0][1].split('\n').map((l) => l.replace(/^\s*[-*]\s+/, '').trim()).filter(Boolean);
  const bad = lines.find((l) => !isUnit(l));
  if (bad !== undefined) throw new UserError(`The discovery pass listed a line that is not a unit (${bad.length} characters, or a control character): '${bad.slice(0, 80)}'.`);
  if (lines.length > max) throw new UserError(`The discovery pass listed ${lines.length} units, more than units.max (${max}). Narrow the prompt or raise units.max.`);
  return [...new Set(lines)].sort();
}

/**
 * `units: { discover: true }`: one capped, read-only explore pass with the task's prompt whose answer is the work
 * list. Its spend comes out of the plan's pool (the caller subtracts it) and is returned for the ledger.
 */
export async function discoverUnits(f: Fanout, t: FanoutTask, source: Extract<UnitSource, { kind: 'discover' }>): Promise<WorkList & { spent: { loopTokens: number; costUsd: number } }> {
  const { ports, ctx, config } = f;
  const setup = await settle(config, ['explore'], { ...f.inputs, testCommand: undefined }, ctx, ports, f.redactor, ports.clock.now());
  const settings = resolveSettings('explore', config, f.inputs, setup.provider);
  const task: Task = {
    key: `task-${t.name}-discover`,
    className: 'explore',
    spec: config.classes.explore,
    budget: source.budget,
    goal: `${t.task.prompt}\n\nDo not change any file. First find every unit of work this task applies to (usually file paths relative to the repository root). Your final reply must contain exactly one fenced block opened with \`\`\`units, one unit per line, nothing else in it.`,
    title: `taskcap: discover ${t.name}`,
    data: [],
    target: { kind: 'scheduled', name: t.name },
    branch: taskBranchOf(t.name),
    baseBranch: f.defaultBranch,
    ownsPull: false,
    branchOnly: true,
  };
  const agentHome = createAgentHome();
  const sandbox = await ports.makeShell({ workspace: ports.git.dir, agentHome });
  const prepared = {
    ready: true,
    sandbox,
    agentHome,
    branch: { branch: f.defaultBranch, startSha: '', continued: false },
    history: [],
    progressBase: { className: 'explore', budget: source.budget, model: settings.model.id, runUrl: '', history: [] },
    model: ports.makeModel(setup.provider, settings.model, (secret) => setup.redactor.add(secret)),
    // The pass explores the tree itself: no repository context block.
    context: Promise.resolve(undefined),
    dispose: () => sandbox.dispose(),
  } satisfies Prepared;
  // The same guard as any run: credentials out of reach, .git/config and hooks put back before taskcap's git runs.
  const guard = await guardWorkspace(ports.git, setup.credentials, ctx.serverUrl, setup.provider.vault);
  const repo = await openPublishRepo(ports.git);
  try {
    const before = await snapshotWorkTree(repo, await ports.git.output(['rev-parse', 'HEAD']));
    const work = await runAgent(task, settings, prepared, setup);
    guard.restoreGitDir();
    // Whatever the pass did to the checkout is undone (from taskcap's own repository, no git in the workspace): the
    // work list is read, not made.
    await revertSince(repo, before);
    const spent = { loopTokens: work.loop?.meter.loopTokens ?? 0, costUsd: work.loop?.meter.costUsd ?? 0 };
    if (!work.loop?.summary) throw new UserError(`The discovery pass of tasks.${t.name} ended without an answer (${work.loop?.endReason ?? 'it failed'}); raise units.discover-budget or list the units with units.files.`);
    return { units: parseDiscovered(work.loop.summary, t.task.fanout.maxUnits), rejected: 0, spent };
  } finally {
    repo.dispose();
    await guard.release();
    await prepared.dispose();
  }
}

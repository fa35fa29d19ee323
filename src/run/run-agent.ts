import fs from 'node:fs';
import path from 'node:path';
import { runLoop, type LoopOutcome } from '../agent/loop.js';
import { buildFirstMessage, SYSTEM_PROMPT } from '../agent/prompt.js';
import { closingReserve } from '../budget/preflight.js';
import type { TaskSettings } from '../config/settings.js';
import type { RunSetup } from '../ports.js';
import type { PublishRepo } from '../publish/publish-repo.js';
import type { TestResult } from '../records/run-outcome.js';
import { TOOL_RESULT_BYTES } from '../tools/toolbox.js';
import { createWorkbench } from '../tools/workbench.js';
import type { Task } from '../trigger/task.js';
import { errorMessage } from '../util/errors.js';
import type { Prepared } from './prepare.js';
import { runTestCommand } from './run-tests.js';
import { stableRequest } from '../agent/request-params.js';
import { TokenCounter } from '../agent/token-counter.js';
import { cacheMinimumOf } from '../config/cache-minimums.js';
import { fitToCacheMinimum, type FittedContext } from '../context/fit-to-cache.js';
import { formatInt } from '../util/format.js';

/** The log line that says what the model got about the repository. */
function contextLine(f: FittedContext): string {
  const c = f.context;
  const files = c.instructionFiles.length ? `instructions from ${c.instructionFiles.map((i) => i.path).join(', ')}` : 'no instruction files';
  const size = f.stableTokens !== undefined ? `${formatInt(c.bytes)} bytes; ${formatInt(f.stableTokens)} tokens with tools and system` : `${formatInt(c.bytes)} bytes`;
  const fill = f.decision?.fill ? `, filled toward the ${formatInt(f.minimum ?? 0)}-token cache minimum` : '';
  return `Repository context from ${c.sha.slice(0, 7)}: ${files}, a map of ${formatInt(c.files)} files (${size}${fill}).`;
}

/** Time the closing turn may take after the wall clock ran out. */
const CLOSING_GRACE_MS = 60_000;

/** What the agent left: how the loop went, how the tests went, and anything that broke along the way. */
export interface AgentWork {
  loop?: LoopOutcome;
  tests?: TestResult;
  /** An error that ended the work early; the work done so far is still delivered. */
  crash?: unknown;
  /** Hidden characters removed from the untrusted task text. */
  hiddenRemoved: number;
  /** Request features the provider refused, which taskcap switched off. */
  switchedOff: readonly string[];
  /** The repository context the model got, if any. */
  context?: FittedContext;
}

/**
 * The capped loop in the workspace, then the test command. Never throws: whatever happened is in the result, so
 * the work done before a failure is always delivered.
 */
export async function runAgent(task: Task, settings: TaskSettings, prepared: Prepared, setup: RunSetup, repo?: PublishRepo): Promise<AgentWork> {
  const { inputs, ctx, ports, redactor } = setup;
  const { git, log, clock } = ports;
  const bench = createWorkbench({
    workspace: git.dir,
    shell: prepared.sandbox.shell,
    home: prepared.agentHome,
    protectedGlobs: setup.protectedGlobs,
    redact: (t) => redactor.redact(t),
    clock,
    passthroughEnv: inputs.allowedEnv,
  });
  const work: AgentWork = { hiddenRemoved: 0, switchedOff: [] };
  try {
    const first = buildFirstMessage(task, {
      repository: `${ctx.owner}/${ctx.repo}`,
      root: bench.paths.root,
      baseBranch: task.target.kind === 'pull' ? task.branch : task.baseBranch,
      shallow: fs.existsSync(path.join(git.dir, '.git', 'shallow')),
      earlierWork: prepared.branch.continued && task.target.kind !== 'pull' ? prepared.branch.earlierWork : undefined,
    });
    work.hiddenRemoved = first.hiddenRemoved;
    const { model, effort, maxCostUsd } = settings;
    const client = await prepared.model;
    const counter = new TokenCounter(client, log);
    const source = await prepared.context;
    if (source) {
      work.context = await fitToCacheMinimum(source, {
        stable: stableRequest(model, effort, task.budget, SYSTEM_PROMPT),
        counter,
        signal: ports.cancel,
        minimum: cacheMinimumOf(model.id),
        prices: model.pricing.base,
        taskBytes: Buffer.byteLength(first.text, 'utf8'),
        redact: (t) => redactor.redact(t),
      }).catch((e) => {
        log.warn(`The repository context could not be built (${redactor.redact(errorMessage(e))}); the run goes without it.`);
        return undefined;
      });
      log.debug('context fitted');
      if (work.context) log.info(contextLine(work.context));
    }
    work.loop = await log.group('Loop', () =>
      runLoop(
        {
          model,
          effort,
          limits: { budget: task.budget, reserve: closingReserve(task.budget), maxCostUsd, pricing: model.pricing, maxOutputTokens: model.maxOutputTokens },
          system: SYSTEM_PROMPT,
          // Redacted already: the same text was counted and is sent.
          context: work.context?.context.text,
          stableTokens: work.context?.stableTokens,
          firstMessage: first.text,
          deadline: clock.now() + inputs.timeoutMinutes * 60_000,
          closingGraceMs: CLOSING_GRACE_MS,
          toolResultBytes: TOOL_RESULT_BYTES,
        },
        {
          model: client,
          runTool: (call, cap, timeLeft, signal) => bench.toolbox.run(call, cap, timeLeft, signal),
          clock,
          log,
          cancel: ports.cancel,
          counter,
          onProgress: (p) => prepared.live?.update({ ...prepared.progressBase, loopTokens: p.loopTokens, costUsd: p.costUsd, requests: p.requests, step: p.step }),
        },
      ),
    );
    work.switchedOff = client.switchedOff?.() ?? [];
    if (inputs.testCommand && repo && !ports.cancel.aborted) {
      const command = inputs.testCommand;
      const startSha = prepared.branch.startSha;
      work.tests = await log.group('Tests', () => runTestCommand(command, { repo, startSha, bench, shell: prepared.sandbox.shell, cancel: ports.cancel, log, redactor }));
    }
  } catch (e) {
    work.crash = e;
    log.warn(`The run failed: ${redactor.redact(errorMessage(e))}. Delivering the work done so far.`);
  } finally {
    bench.dispose();
  }
  return work;
}

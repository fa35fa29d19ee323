import type { TaskSettings } from '../config/settings.js';
import type { RunSetup } from '../ports.js';
import { emptyOutcome, type RunOutcome } from '../records/run-outcome.js';
import { runUrl } from '../action/runner-context.js';
import type { SandboxShell } from '../tools/sandbox.js';
import { capText } from '../tools/output-cap.js';
import type { Task } from '../trigger/task.js';
import { defuse } from '../util/defuse.js';
import type { AgentWork } from './run-agent.js';

/**
 * The task's figures as the receipt, the job summary, the outputs and the records show them: what was asked, what
 * the loop metered, what the model said. Status and publication are filled in by delivery.
 */
export function buildOutcome(task: Task, settings: TaskSettings, work: AgentWork, sandbox: SandboxShell, setup: RunSetup): RunOutcome {
  const outcome: RunOutcome = {
    ...emptyOutcome('completed'),
    className: task.className,
    budget: task.budget,
    model: settings.model.id,
    provider: setup.provider.plan.provider,
    switchedOff: work.switchedOff.length ? [...work.switchedOff] : undefined,
    effort: settings.effort,
    maxCostUsd: settings.maxCostUsd,
    runUrl: runUrl(setup.ctx),
    target: task.receiptOn !== undefined ? `#${task.receiptOn}` : task.key,
    dryRun: setup.inputs.dryRun,
    tests: work.tests,
    sandbox: sandbox.sandboxed ? { kind: 'bubblewrap' } : { kind: 'host', note: sandbox.note },
    hiddenRemoved: work.hiddenRemoved,
  };
  const fitted = work.context;
  if (fitted) {
    const c = fitted.context;
    outcome.context = {
      sha: c.sha,
      bytes: c.bytes,
      ...(fitted.stableTokens !== undefined ? { stableTokens: fitted.stableTokens } : {}),
      instructionFiles: c.instructionFiles.map((f) => f.path),
      nestedInstructionFiles: c.nestedInstructionFiles,
      files: c.files,
      ...(fitted.decision?.fill ? { filledTo: fitted.minimum } : {}),
    };
  }
  const loop = work.loop;
  if (!loop) return outcome;
  outcome.counting = { ...loop.counting };
  if (loop.costStop) outcome.costStop = { ...loop.costStop };
  const { meter } = loop;
  Object.assign(outcome, {
    loopTokens: meter.loopTokens,
    billed: meter.billed,
    costUsd: meter.costUsd,
    costByCategory: meter.costByCategory,
    uncachedCostUsd: meter.uncachedCostUsd,
    turns: loop.requests.filter((r) => r.stopReason !== null).length,
    endReason: loop.endReason,
    closingTurn: loop.closingTurn,
  });
  outcome.requests = loop.requests.map((r) => ({
    index: r.index + 1,
    attempt: r.attempt,
    input: r.counts?.input ?? 0,
    cacheRead: r.counts?.cacheRead ?? 0,
    cacheWrite: (r.counts?.cacheWrite5m ?? 0) + (r.counts?.cacheWrite1h ?? 0),
    output: r.counts?.output ?? 0,
    loopAfter: r.loopAfter,
    costUsd: r.costUsd,
    stopReason: r.stopReason,
    durationMs: r.durationMs,
    requestId: r.requestId,
    error: r.error,
  }));
  for (const t of loop.tools) outcome.toolCalls[t.name] = (outcome.toolCalls[t.name] ?? 0) + 1;
  // Model-written text goes into a PR, a commit and comments: redacted, capped, and defused (pings, closing keywords,
  // CI-skip directives, hidden comments and workflow commands lose their effect).
  if (loop.summary) outcome.summary = defuse(setup.redactor.redact(capText(loop.summary, 20_000)));
  else {
    outcome.summaryIsFallback = true;
    outcome.summary = `Claude did not write a summary${loop.detail ? ` (${loop.detail.replace(/\.$/, '')})` : ''}; see the diff for what changed.`;
  }
  return outcome;
}

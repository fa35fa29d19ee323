import { defuse } from '../util/defuse.js';
import type { EndReason, Status } from '../vocabulary.js';

/** Everything that decides how a task ended, gathered as the stages ran. */
export interface StatusFacts {
  /** How the loop ended; undefined when the run failed before the loop could end. */
  loop?: { endReason: EndReason; detail?: string };
  /** What went wrong outside the loop (redacted), if anything did. */
  crash?: string;
  /**
   * Without a sandbox, a command killed the process that holds what the commands start: something may have
   * outlived the loop. The sentence that says so.
   */
  breach?: string;
  /** Files left out of the patch because they held a secret. */
  secretFiles: readonly string[];
  /** Whether there is a commit to publish. */
  committed: boolean;
  /** The class produces a patch (a run that changes nothing has then done nothing). */
  producesPatch: boolean;
  /** Publishing (push, PR) failed: the sentence that says why and what to do (redacted). */
  publishError?: string;
}

const STATUS_BY_END: Record<EndReason, Status> = {
  completed: 'completed',
  budget: 'budget-exhausted',
  cost: 'budget-exhausted',
  timeout: 'budget-exhausted',
  cancelled: 'failed',
  refusal: 'failed',
  'context-window': 'failed',
  'api-error': 'failed',
};

/**
 * The status of a task and the sentence that explains it, from the facts alone. Later facts win over earlier ones
 * in the order they happen: the loop, a crash, a process that escaped its command, a secret in the patch, an empty
 * patch, publishing.
 */
export function decideStatus(f: StatusFacts): { status: Status; reason?: string } {
  if (f.publishError !== undefined) return { status: 'failed', reason: f.publishError };
  if (f.secretFiles.length > 0) {
    // Loud on purpose: a secret in the agent's output means something reached it that should not have.
    const files = f.secretFiles.join(', ');
    return { status: 'failed', reason: defuse(`${files} contained a secret or a token and ${f.secretFiles.length === 1 ? 'was' : 'were'} left out of the patch.`) };
  }
  // Loud too: the patch was still built and checked, but a reviewer must look at it closely.
  if (f.breach !== undefined) return { status: 'failed', reason: f.breach };
  if (f.crash !== undefined || !f.loop) return { status: 'failed', reason: `The run failed: ${f.crash ?? 'unknown error'}` };
  const status = STATUS_BY_END[f.loop.endReason];
  if (status === 'completed' && !f.committed && f.producesPatch) return { status: 'no-changes', reason: f.loop.detail };
  return { status, reason: f.loop.detail };
}

import { formatInt } from '../util/format.js';
import type { ClosingCause } from '../vocabulary.js';

/** Used shares at which the model gets a budget note. The last one tells it to finish. */
const STAGES = [0.5, 0.8, 0.9] as const;

/**
 * Budget notes for the model, appended inside the tool-result message (a bare user message would start a new
 * turn and a fresh API budget). Models without task-budget support get the same notes: they are the countdown.
 */
export class WindDown {
  private stage = 0;

  constructor(private readonly budget: number) {}

  /**
   * The note to append once `used` (loop tokens after this request's new content) crosses a stage, else none.
   * A stage also counts as reached when the budget left is only a few average steps away from the end, so a
   * model that works in big steps is told to finish before its last step, not after it.
   */
  noteFor(used: number, averageStep = 0): string | undefined {
    const left = Math.max(0, this.budget - used);
    const stepsLeftAt = [Infinity, 4, 2];
    let reached = this.stage;
    while (reached < STAGES.length && (used >= STAGES[reached] * this.budget || left < stepsLeftAt[reached] * averageStep)) reached++;
    if (reached === this.stage) return undefined;
    this.stage = reached;
    const head = `[taskcap budget] ${formatInt(used)} of ${formatInt(this.budget)} tokens used; about ${formatInt(left)} left.`;
    if (reached >= 3) {
      return `${head} Finish: make sure the change is complete and tests pass, then stop with a summary of what you did and what remains.`;
    }
    if (reached === 2) return `${head} Start wrapping up: complete the change in progress; avoid new explorations.`;
    return `${head} Keep the work focused on the task.`;
  }
}

const CAUSE_TEXT: Record<ClosingCause, string> = {
  budget: 'The token budget is used up',
  cost: 'The cost cap for this run is reached',
  timeout: 'The time limit for this run is reached',
};

/** The note of the closing turn: no more tools, write the summary now. */
export function closingNote(cause: ClosingCause): string {
  return `[taskcap] ${CAUSE_TEXT[cause]}: no further tool calls will run. Do not call tools, and keep any thinking brief. Reply now with a short summary for the pull request: what you changed, what is left, and roughly how many more tokens the rest needs.`;
}

/** Tool result for a call that was not executed because the run is closing. */
export function notRunResult(cause: ClosingCause | 'cancelled' | 'truncated'): string {
  switch (cause) {
    case 'truncated':
      return 'not run: your reply was cut off at the output limit before this call was complete; issue it again.';
    case 'cancelled':
      return 'not run: the run was cancelled.';
    case 'timeout':
      return 'not run: time limit reached.';
    default:
      return 'not run: budget exhausted.';
  }
}

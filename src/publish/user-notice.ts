import type { GitHub } from '../github/github.js';
import type { Log } from '../ports.js';
import { runUrl, type RunnerContext } from '../action/runner-context.js';
import { isBot } from '../github/people.js';
import { routeEvent, type Trigger } from '../trigger/route-event.js';
import { errorMessage, NoticeError, type UserNotice } from '../util/errors.js';
import { postNotice } from './receipt-comment.js';

/**
 * When a person's own request cannot be served (a misspelled class, a budget out of range, a label that does not
 * exist, a refusal, a broken setup), they are looking at the issue, not at the run log. taskcap answers there: one
 * short comment per cause per issue or PR, edited in place when it happens again, linking the run.
 */

export interface NoticeOptions {
  github: GitHub;
  log: Pick<Log, 'warn' | 'info'>;
  /** The run, linked from the comment. */
  runUrl: string;
  /** A dry run publishes nothing, notices included. */
  dryRun: boolean;
}

/**
 * The issue or PR where a person asked taskcap for work, or undefined when nobody did there: a schedule or a
 * dispatch (the run log is where that was asked), or a bot (no one reads an answer to a bot).
 */
export function whereAsked(trigger: Trigger): { on: number; login: string } | undefined {
  if (trigger.kind === 'schedule' || trigger.kind === 'dispatch') return undefined;
  if (!trigger.sender.login || isBot(trigger.sender.login, trigger.sender.type)) return undefined;
  const on = trigger.kind === 'issue-label' || trigger.kind === 'issue-comment' ? trigger.issue.number : trigger.pull.number;
  return { on, login: trigger.sender.login };
}

/**
 * The comment body: what went wrong and how to fix it, then the run. The text may quote what someone wrote (a
 * label, a budget): a mention in it must not notify anyone, and HTML in it must not render.
 */
export function noticeBody(notice: UserNotice, run: string): string {
  const text = notice.text.replace(/</g, '&lt;').replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
  return `**taskcap did not start.** ${text}\n\n<sub>[Run log](${run}) · taskcap edits this comment rather than adding another when this happens again.</sub>`;
}

/**
 * Post (or edit) the notice where the request was made (or on the issue or PR it names); nothing when nobody asked
 * there. Never fails the run.
 */
export async function answerWhereAsked(trigger: Trigger, notice: UserNotice | undefined, o: NoticeOptions): Promise<void> {
  const on = notice && (notice.on ?? whereAsked(trigger)?.on);
  if (!notice || on === undefined || o.dryRun) return;
  await postNotice(o.github, on, notice.cause, noticeBody(notice, o.runUrl), o.log);
  o.log.info(`Answered on #${on}: ${notice.cause} notice.`);
}

/**
 * For `runTaskcap(...).catch(…)`: an error that says what to tell the person (a NoticeError) is answered where they
 * asked, then rethrown so the step still fails. Only NoticeErrors are answered, and taskcap raises them only once
 * the requester passed the permission gate, so nobody refused is told about the setup.
 */
export function answerAndRethrow(ctx: RunnerContext, o: Omit<NoticeOptions, 'runUrl'>): (error: unknown) => Promise<never> {
  return async (error) => {
    if (error instanceof NoticeError && error.notice) {
      const trigger = routeEvent(ctx.eventName, ctx.payload);
      if (trigger.kind === 'go') await answerWhereAsked(trigger.value, error.notice, { ...o, runUrl: runUrl(ctx) }).catch((e) => o.log.warn(`The notice could not be posted: ${errorMessage(e)}`));
    }
    throw error;
  };
}

/** The API key input is empty: the message for the run log, the notice for the issue. */
export function missingKeyError(): NoticeError {
  return new NoticeError(
    "Input 'anthropic-api-key' is empty. Pass it from a repository secret: `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` (secrets are not available to workflows triggered from forks).",
    {
      cause: 'setup',
      text: 'The workflow gives taskcap no Anthropic API key, so it cannot call Claude. A maintainer needs to add the key as a repository secret and pass it to the taskcap step as `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}`.',
    },
  );
}

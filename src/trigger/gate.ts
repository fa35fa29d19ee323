import { go, refuse, type Decision } from '../decision.js';
import type { GitHub, Permission } from '../github/github.js';
import { isBot, isWriter } from '../github/people.js';
import { errorMessage, type UserNotice } from '../util/errors.js';
import { code } from '../util/inline-code.js';

export interface GateInput {
  /** The user whose action asked for the work (labeler, commenter, reviewer). */
  sender?: { login: string; type?: string };
  /** On a re-run, the user who re-ran the job. */
  triggeringActor?: string;
  allowedBots: string[];
}

/**
 * May this person spend this budget? Write, maintain or admin per the collaborator-permission API (never
 * `author_association`); bots only when listed exactly; any error refuses. A refusal carries a notice for the
 * sender when they are the person refused (not a bot, not someone re-running the job from the Actions tab): they
 * are looking at the issue, not at the run log.
 */
export async function checkPermission(github: GitHub, input: GateInput): Promise<Decision<void>> {
  const sender = input.sender;
  if (!sender?.login) return refuse('the event names no sender');
  const people = [sender.login, ...(input.triggeringActor && input.triggeringActor !== sender.login ? [input.triggeringActor] : [])];
  for (const login of people) {
    if (isBot(login, login === sender.login ? sender.type : undefined)) {
      if (!input.allowedBots.includes(login)) return refuse(`${login} is a bot and is not listed in 'allowed-bots'`);
      continue;
    }
    const tell = (text: string): UserNotice | undefined => (login === sender.login ? { cause: 'permission', text } : undefined);
    let permission: Permission;
    try {
      permission = await github.permission(login);
    } catch (e) {
      return refuse(
        `the permission of ${login} could not be checked (${errorMessage(e)}); refusing to be safe`,
        tell(`taskcap could not check the access ${code(login)} has to this repository, so nothing was started (it never starts without that check). Try again in a few minutes; if it keeps happening, a maintainer can see why in the run log.`),
      );
    }
    if (!isWriter(permission)) {
      return refuse(
        `${login} has '${permission}' permission on the repository; taskcap needs write, maintain or admin`,
        tell(
          `${code(login)} has ${permission} access to this repository, and taskcap starts work only for people with write, maintain or admin access (each run spends the repository's API budget and pushes a branch), so nothing was started. Someone with write access can ask instead.`,
        ),
      );
    }
  }
  return go(undefined);
}

import { go, refuse, type Decision } from '../decision.js';
import type { GitHub, Permission } from '../github/github.js';
import { isBot, isWriter } from '../github/people.js';
import { errorMessage } from '../util/errors.js';

export interface GateInput {
  /** The user whose action asked for the work (labeler, commenter, reviewer). */
  sender?: { login: string; type?: string };
  /** On a re-run, the user who re-ran the job. */
  triggeringActor?: string;
  allowedBots: string[];
}

/**
 * May this person spend this budget? Write, maintain or admin per the collaborator-permission API (never
 * `author_association`); bots only when listed exactly; any error refuses.
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
    let permission: Permission;
    try {
      permission = await github.permission(login);
    } catch (e) {
      return refuse(`the permission of ${login} could not be checked (${errorMessage(e)}); refusing to be safe`);
    }
    if (!isWriter(permission)) return refuse(`${login} has '${permission}' permission on the repository; taskcap needs write, maintain or admin`);
  }
  return go(undefined);
}

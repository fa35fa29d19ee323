import type { GitHub, Permission } from '../github/github.js';
import { errorMessage, type UserNotice } from '../util/errors.js';
import { code } from '../util/inline-code.js';

const WRITERS: Permission[] = ['admin', 'maintain', 'write'];

export interface GateInput {
  /** The user whose action asked for the work (labeler, commenter, reviewer). */
  sender?: { login: string; type?: string };
  /** On a re-run, the user who re-ran the job. */
  triggeringActor?: string;
  allowedBots: string[];
}

/**
 * A refusal carries a notice for the sender when they are the person refused (not a bot, not someone re-running
 * the job from the Actions tab): they are looking at the issue, not at the run log.
 */
export type Verdict = { allowed: true } | { allowed: false; reason: string; notice?: UserNotice };

const isBot = (login: string, type?: string) => type === 'Bot' || login.endsWith('[bot]');

/**
 * May this person spend this budget? Write, maintain or admin per the collaborator-permission API (never
 * `author_association`); bots only when listed exactly; any error refuses.
 */
export async function checkPermission(github: GitHub, input: GateInput): Promise<Verdict> {
  const sender = input.sender;
  if (!sender?.login) return { allowed: false, reason: 'the event names no sender' };
  const people = [sender.login, ...(input.triggeringActor && input.triggeringActor !== sender.login ? [input.triggeringActor] : [])];
  for (const login of people) {
    if (isBot(login, login === sender.login ? sender.type : undefined)) {
      if (!input.allowedBots.includes(login)) return { allowed: false, reason: `${login} is a bot and is not listed in 'allowed-bots'` };
      continue;
    }
    const tell = (text: string): UserNotice | undefined => (login === sender.login ? { cause: 'permission', text } : undefined);
    let permission: Permission;
    try {
      permission = await github.permission(login);
    } catch (e) {
      return {
        allowed: false,
        reason: `the permission of ${login} could not be checked (${errorMessage(e)}); refusing to be safe`,
        notice: tell(`taskcap could not check the access ${code(login)} has to this repository, so nothing was started (it never starts without that check). Try again in a few minutes; if it keeps happening, a maintainer can see why in the run log.`),
      };
    }
    if (!WRITERS.includes(permission)) {
      return {
        allowed: false,
        reason: `${login} has '${permission}' permission on the repository; taskcap needs write, maintain or admin`,
        notice: tell(
          `${code(login)} has ${permission} access to this repository, and taskcap starts work only for people with write, maintain or admin access (each run spends the repository's API budget and pushes a branch), so nothing was started. Someone with write access can ask instead.`,
        ),
      };
    }
  }
  return { allowed: true };
}

/** Reduce anything thrown to a message; non-Error throws must not turn into a green step. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** An error whose message is meant for the workflow author as-is (bad input, bad config, refused event). */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * Why a person's request was not served, for the one comment taskcap posts where they asked (one per cause per
 * issue or PR, edited when it happens again).
 */
export type NoticeCause = 'budget' | 'class' | 'label' | 'permission' | 'config' | 'setup' | 'fork' | 'protected-head';

export interface UserNotice {
  cause: NoticeCause;
  /** The issue or PR to post on, when it is not simply where the request was made (a pull request's own thread). */
  on?: number;
  /**
   * Markdown for the person who asked: what was wrong and how to fix it. It may quote what they wrote, never a
   * secret or the contents of the config (the run log has the details for maintainers).
   */
  text: string;
}

/** A UserError that also says what to tell the person who asked, where they asked. */
export class NoticeError extends UserError {
  constructor(
    message: string,
    readonly notice?: UserNotice,
  ) {
    super(message);
  }
}

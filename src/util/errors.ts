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

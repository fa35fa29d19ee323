/** Who taskcap commits as: the identity GitHub shows for the workflow token's own commits. */
export const BOT_NAME = 'github-actions[bot]';
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';

/** Command-scoped author and committer, so no git config (the repository's or the runner's) decides it. */
export const BOT_IDENTITY_ENV: Readonly<Record<string, string>> = Object.freeze({
  GIT_AUTHOR_NAME: BOT_NAME,
  GIT_AUTHOR_EMAIL: BOT_EMAIL,
  GIT_COMMITTER_NAME: BOT_NAME,
  GIT_COMMITTER_EMAIL: BOT_EMAIL,
});

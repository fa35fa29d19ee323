// A workspace exactly as actions/checkout (v6) leaves it, made against the sim git origin so the
// persisted credentials are really exercised: `origin` = <serverUrl>/<owner>/<repo>, a shallow
// (depth 1) fetch, the default branch checked out for branch refs and a detached HEAD at the merge
// commit for PR refs, no user.name/user.email.
//
// Credentials, as the action will find them:
//   v6   — the extraheader lives in $RUNNER_TEMP/git-credentials-<uuid>.config, pulled in by
//          `includeIf.gitdir:<workspace>/.git.path` (+ the worktrees and container variants);
//   v5   — the extraheader sits directly in .git/config;
//   none — `persist-credentials: false`: used for the fetch, then nothing is left behind.

import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { gitIn } from './git-origin.mjs';

/**
 * The header value actions/checkout persists.
 * @param {string} token
 */
export function checkoutAuthHeader(token) {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`;
}

/**
 * @typedef {object} CheckoutOptions
 * @property {string} serverUrl    GITHUB_SERVER_URL (the sim git origin's url)
 * @property {string} owner
 * @property {string} repo
 * @property {string} token
 * @property {string} workspace    created if missing
 * @property {string} runnerTemp   created if missing
 * @property {string} [ref]        'refs/heads/<branch>' (default 'refs/heads/main') or 'refs/pull/<n>/merge' (or /head)
 * @property {string} [sha]        fetch this commit (like GITHUB_SHA) instead of the ref itself
 * @property {'v6' | 'v5' | 'none'} [credentials]  default 'v6'
 * @property {number} [fetchDepth] default 1 (0 = full history)
 */

/**
 * @param {CheckoutOptions} options
 * @returns {Promise<{ workspace: string, sha: string, credentialsFile: string | null, remoteUrl: string }>}
 */
export async function makeCheckout({
  serverUrl,
  owner,
  repo,
  token,
  workspace,
  runnerTemp,
  ref = 'refs/heads/main',
  sha,
  credentials = 'v6',
  fetchDepth = 1,
}) {
  await fsp.mkdir(workspace, { recursive: true });
  await fsp.mkdir(runnerTemp, { recursive: true });
  // includeIf.gitdir is matched against the resolved path of .git, so use the real path.
  const ws = await fsp.realpath(workspace);
  const git = (/** @type {string[]} */ ...args) => gitIn(ws, args);

  const remoteUrl = `${serverUrl.replace(/\/+$/, '')}/${owner}/${repo}`;
  const origin = new URL(serverUrl).origin; // checkout keys the header by the server's origin
  const headerKey = `http.${origin}/.extraheader`;
  const header = checkoutAuthHeader(token);

  await git('init', '--quiet', ws);
  await git('remote', 'add', 'origin', remoteUrl);
  await git('config', '--local', 'gc.auto', '0');

  /** @type {string | null} */
  let credentialsFile = null;
  /** @type {string[]} extra `-c` args for the fetch when nothing is persisted */
  let fetchAuth = [];
  if (credentials === 'v6') {
    credentialsFile = path.join(await fsp.realpath(runnerTemp), `git-credentials-${crypto.randomUUID()}.config`);
    await gitIn(ws, ['config', '--file', credentialsFile, headerKey, header]);
    await git('config', '--local', '--add', `includeIf.gitdir:${path.join(ws, '.git')}.path`, credentialsFile);
    await git('config', '--local', '--add', `includeIf.gitdir:${path.join(ws, '.git', 'worktrees', '*')}.path`, credentialsFile);
    // The container-job variants checkout also writes; they never match on the host.
    const containerFile = `/github/runner_temp/${path.basename(credentialsFile)}`;
    await git('config', '--local', '--add', 'includeIf.gitdir:/github/workspace/.git.path', containerFile);
    await git('config', '--local', '--add', 'includeIf.gitdir:/github/workspace/.git/worktrees/*.path', containerFile);
  } else if (credentials === 'v5') {
    await git('config', '--local', headerKey, header);
  } else {
    fetchAuth = ['-c', `${headerKey}=${header}`];
  }

  // Where checkout stores the fetched commit: origin/<branch> for branches, pull/<n>/<kind> for PRs.
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  const pull = /^refs\/(pull\/\d+\/(?:merge|head))$/.exec(ref)?.[1];
  if (!branch && !pull) throw new Error(`makeCheckout: unsupported ref '${ref}' (use refs/heads/<b> or refs/pull/<n>/merge)`);
  const localRef = branch ? `refs/remotes/origin/${branch}` : `refs/remotes/${pull}`;

  const depth = fetchDepth > 0 ? [`--depth=${fetchDepth}`] : [];
  await git(
    ...fetchAuth,
    '-c',
    'protocol.version=2',
    'fetch',
    '--no-tags',
    '--prune',
    '--no-recurse-submodules',
    ...depth,
    'origin',
    `+${sha ?? ref}:${localRef}`,
  );
  if (branch) await git('checkout', '--quiet', '--force', '-B', branch, localRef);
  else await git('checkout', '--quiet', '--force', localRef); // detached HEAD, as on pull_request events

  const head = (await git('rev-parse', 'HEAD')).stdout.trim();
  return { workspace: ws, sha: head, credentialsFile, remoteUrl };
}

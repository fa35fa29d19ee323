import fs from 'node:fs';
import type { Git } from './git.js';
import { NoticeError } from '../util/errors.js';

/**
 * Before anything is written: the workspace must be a checkout of the repository the workflow runs for. Without
 * `actions/checkout` there is nothing to work on; with a checkout of another repository (or, when GITHUB_WORKSPACE
 * is unset, whatever directory the step started in) a push would land somewhere nobody asked for.
 */
export async function checkWorkspace(git: Git, ctx: { owner: string; repo: string; serverUrl: string }): Promise<void> {
  const [top, origin] = await Promise.all([
    git.run(['rev-parse', '--show-toplevel'], { allowFailure: true }),
    git.run(['config', '--get', 'remote.origin.url'], { allowFailure: true }),
  ]);
  const expected = `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}`;
  if (top.exitCode !== 0) {
    const why = /dubious ownership/i.test(top.stderr) ? ' (git refuses it: it belongs to another user)' : '';
    throw setupError(
      `The workspace '${git.dir}' is not a git repository${why}: add \`actions/checkout\` before taskcap in the job's steps (without a \`path:\`, so the checkout is GITHUB_WORKSPACE itself). taskcap works on a checkout of ${expected} and pushes from it.`,
      'The workflow runs taskcap without a checkout of this repository, so nothing was started. A maintainer needs to add `actions/checkout` before the taskcap step.',
    );
  }
  if (!sameDir(top.stdout.trim(), git.dir)) {
    throw setupError(
      `The workspace '${git.dir}' is inside the git repository at '${top.stdout.trim()}', not the root of a checkout. Run taskcap in the checkout itself: actions/checkout without \`path:\`, and GITHUB_WORKSPACE unchanged.`,
      'The workflow runs taskcap outside a checkout of this repository, so nothing was started. A maintainer can see the details in the run log.',
    );
  }
  const url = origin.stdout.trim();
  if (!url || !sameRepository(url, ctx)) {
    throw setupError(
      `The workspace's origin is ${url ? `'${withoutCredentials(url)}'` : 'not set'}, not ${expected} (GITHUB_REPOSITORY), so taskcap wrote nothing. ` +
        'taskcap only writes to the repository the workflow runs for: check out this repository (actions/checkout without `repository:`) and run taskcap in GITHUB_WORKSPACE.',
      'The workspace the workflow gives taskcap is not a checkout of this repository, so nothing was started. A maintainer can see the details in the run log.',
    );
  }
}

function setupError(message: string, notice: string): NoticeError {
  return new NoticeError(message, { cause: 'setup', text: notice });
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}

/** `https://user:token@host/…` → `https://***@host/…`: a remote URL may carry credentials. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, '$1***@');
}

/**
 * Whether a remote URL names `owner/repo` on this server: https (with or without `.git`, any credentials), or the
 * ssh forms `git@host:owner/repo.git` and `ssh://git@host/owner/repo`. Owner and repository names are
 * case-insensitive on GitHub.
 */
export function sameRepository(url: string, ctx: { owner: string; repo: string; serverUrl: string }): boolean {
  const host = new URL(ctx.serverUrl).host.toLowerCase();
  const want = `${ctx.owner}/${ctx.repo}`.toLowerCase();
  const scp = /^[^@/\s]+@([^:/\s]+):\/?(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp) return scp[1].toLowerCase() === new URL(ctx.serverUrl).hostname.toLowerCase() && scp[2].toLowerCase() === want;
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '').toLowerCase();
    const sameHost = u.protocol.startsWith('ssh') ? u.hostname.toLowerCase() === new URL(ctx.serverUrl).hostname.toLowerCase() : u.host.toLowerCase() === host;
    // A server under a path prefix (GitHub Enterprise behind a proxy) keeps its prefix before owner/repo.
    const prefix = new URL(ctx.serverUrl).pathname.replace(/^\/+|\/+$/g, '').toLowerCase();
    return sameHost && path === (prefix ? `${prefix}/${want}` : want);
  } catch {
    return false;
  }
}

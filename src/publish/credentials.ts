import fs from 'node:fs';
import path from 'node:path';
import type { Git } from './git.js';

/**
 * The credentials actions/checkout leaves behind: an `http.<server>/.extraheader` in `.git/config` (up to v5), or
 * in a `$RUNNER_TEMP/git-credentials-*.config` file pulled in by `includeIf.gitdir` (v6+). Any process of the
 * runner's user can read them, so taskcap takes them out of reach for the whole loop and uses them only in its
 * own push, command-scoped.
 */
export interface CheckoutCredentials {
  /** The header value ("AUTHORIZATION: basic …") the checkout persisted, if any. */
  header?: string;
  /** Credential files referenced through includeIf. */
  files: string[];
  /** Whether .git/config itself holds the header (checkout ≤ v5). */
  inRepoConfig: boolean;
}

const headerKey = (serverUrl: string) => `http.${new URL(serverUrl).origin}/.extraheader`;

export async function findCheckoutCredentials(git: Git, serverUrl: string): Promise<CheckoutCredentials> {
  const key = headerKey(serverUrl);
  const config = path.join(git.dir, '.git', 'config');
  const get = async (file: string) => (await git.run(['config', '--file', file, '--get', key], { allowFailure: true })).stdout.trim();
  const [includes, inRepo] = await Promise.all([
    git.run(['config', '--file', config, '--get-regexp', '^includeif\\..*\\.path$'], { allowFailure: true }),
    get(config),
  ]);
  const files = [
    ...new Set(
      includes.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/).slice(1).join(' '))
        .filter((f) => f && fs.existsSync(f)),
    ),
  ];
  const included = (await Promise.all(files.map(get))).filter(Boolean);
  // The repository's own config wins over included files, as in git.
  const header = inRepo || included[included.length - 1] || undefined;
  return { header, files, inRepoConfig: inRepo !== '' };
}

/**
 * Move persisted credentials out of the agent's reach: credential files are read into memory and deleted,
 * the header in .git/config is removed. `restore()` puts everything back exactly (checkout's post step expects it).
 */
export async function hideCredentials(git: Git, creds: CheckoutCredentials, serverUrl: string): Promise<() => Promise<void>> {
  const saved = creds.files.map((file) => ({ file, content: fs.readFileSync(file), mode: fs.statSync(file).mode }));
  for (const s of saved) fs.rmSync(s.file, { force: true });
  const key = headerKey(serverUrl);
  const config = path.join(git.dir, '.git', 'config');
  if (creds.inRepoConfig && creds.header) await git.run(['config', '--file', config, '--unset-all', key], { allowFailure: true });
  return async () => {
    for (const s of saved) fs.writeFileSync(s.file, s.content, { mode: s.mode & 0o777 });
    if (creds.inRepoConfig && creds.header) await git.run(['config', '--file', config, '--add', key, creds.header]);
  };
}

/** Command-scoped auth for taskcap's own fetch/push: resets inherited headers, then sets ours. Never written to disk. */
export function authEnv(serverUrl: string, header: string): Record<string, string> {
  const key = headerKey(serverUrl);
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: header,
  };
}

/** Credentials for taskcap's own fetch and push: what checkout persisted, and the command-scoped env made from it. */
export interface GitCredentials {
  checkout: CheckoutCredentials;
  /** Environment for one git command: the `http.<server>/.extraheader`, never written to disk. */
  auth: Record<string, string>;
}

/**
 * Read once per run: the header checkout persisted (or one made from the token). Both forms are registered with
 * the redactor so neither can ever be echoed.
 */
export async function resolveGitCredentials(git: Git, serverUrl: string, token: string, redactor: { add(secret: string | undefined): unknown }): Promise<GitCredentials> {
  const checkout = await findCheckoutCredentials(git, serverUrl);
  const header = checkout.header ?? headerForToken(token);
  redactor.add(header);
  redactor.add(header.replace(/^AUTHORIZATION:\s*basic\s+/i, ''));
  return { checkout, auth: authEnv(serverUrl, header) };
}

/** The header actions/checkout would write for a token. */
export function headerForToken(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

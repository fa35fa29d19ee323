import fs from 'node:fs';
import path from 'node:path';
import type { CredentialVault } from '../agent/providers/credential-vault.js';
import { hideCredentials, type GitCredentials } from '../publish/credentials.js';
import type { Git } from '../publish/git.js';

type DirSnapshot = Map<string, { content: Buffer; mode: number }>;

/** What the guard puts back, in two steps: the repository's git plumbing first, the credentials last. */
export interface WorkspaceGuard {
  /**
   * Undo whatever the agent did to `.git/config` (filters, remotes) and `.git/hooks`, before taskcap's own git runs
   * and before later steps of the job could run a planted hook. (In the sandbox `.git` is read-only anyway.)
   */
  restoreGitDir(): void;
  /** Put everything back, credentials included (checkout's post step expects them). Safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Take the workspace out of the agent's reach where it matters: checkout's persisted credentials and the cloud
 * credential files a setup step left (the provider's vault) are hidden for the whole run, and `.git/config` and
 * `.git/hooks` are snapshotted so they can be restored exactly.
 */
export async function guardWorkspace(git: Git, credentials: GitCredentials, serverUrl: string, vault: Pick<CredentialVault, 'hide'>): Promise<WorkspaceGuard> {
  const restoreCredentials = await hideCredentials(git, credentials.checkout, serverUrl);
  const restoreCloudCredentials = vault.hide();
  const configPath = path.join(git.dir, '.git', 'config');
  const hooksDir = path.join(git.dir, '.git', 'hooks');
  const config = fs.readFileSync(configPath);
  const hooks = snapshotDir(hooksDir);
  let gitDirRestored = false;
  let released = false;
  const restoreGitDir = () => {
    if (gitDirRestored) return;
    gitDirRestored = true;
    fs.writeFileSync(configPath, config);
    restoreDir(hooksDir, hooks);
  };
  return {
    restoreGitDir,
    async release() {
      if (released) return;
      released = true;
      restoreGitDir();
      restoreCloudCredentials();
      await restoreCredentials();
    },
  };
}

/** The regular files of a directory (one level: .git/hooks), to put back exactly after the loop. */
function snapshotDir(dir: string): DirSnapshot {
  const files: DirSnapshot = new Map();
  if (!fs.existsSync(dir)) return files;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, e.name);
    if (e.isFile()) files.set(e.name, { content: fs.readFileSync(file), mode: fs.statSync(file).mode & 0o777 });
  }
  return files;
}

/** Remove what was added, put back what was changed or removed. */
function restoreDir(dir: string, before: DirSnapshot): void {
  if (!fs.existsSync(dir)) return;
  const same = (file: string, o: { content: Buffer; mode: number }) =>
    fs.lstatSync(file).isFile() && (fs.statSync(file).mode & 0o777) === o.mode && fs.readFileSync(file).equals(o.content);
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    const original = before.get(name);
    if (!original || !same(file, original)) fs.rmSync(file, { recursive: true, force: true });
  }
  for (const [name, o] of before) if (!fs.existsSync(path.join(dir, name))) fs.writeFileSync(path.join(dir, name), o.content, { mode: o.mode });
}

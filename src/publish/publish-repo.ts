import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Git, GitError } from './git.js';
import type { ObjectFormat } from './loose-objects.js';

/**
 * A bare repository of taskcap's own, next to the workspace, where the patch is staged, committed and pushed
 * from. It reads the workspace's objects (an `alternates` entry) and nothing else of it: no `.git/config`
 * (remotes, `url.*.insteadOf`, proxies, includes, filters, `core.*`), no hooks, no attributes, no submodule
 * settings. So no file the agent wrote, and no config a process could rewrite after the loop, can change what
 * taskcap's git does. What it needs from the workspace (origin URL, shallow boundary, excludes) is read when it
 * is opened, before the agent runs.
 */
export interface PublishRepo {
  /** git with GIT_DIR set to the bare repository and no work tree. */
  git: Git;
  /** The bare repository. */
  dir: string;
  /** Where taskcap writes the patch's objects (the workspace's are only read). */
  objects: string;
  workspace: string;
  /** The workspace's git directory (objects and refs are copied back there after the commit). */
  workspaceGitDir: string;
  format: ObjectFormat;
  /** Where the push goes: `remote.origin.url` as the checkout configured it. */
  originUrl: string;
  /** git in the workspace's work tree, reading this repository's config and a scratch index. */
  workTreeGit(indexFile: string): Git;
  dispose(): void;
}

/** Open (create) the publication repository for the workspace `ws`. Call before the loop. */
export async function openPublishRepo(ws: Git): Promise<PublishRepo> {
  const [formatText, gitDirText, originUrl] = await Promise.all([
    ws.run(['rev-parse', '--show-object-format'], { allowFailure: true }),
    ws.output(['rev-parse', '--absolute-git-dir']),
    ws.run(['config', '--get', 'remote.origin.url'], { allowFailure: true }),
  ]);
  const format: ObjectFormat = formatText.stdout.trim() === 'sha256' ? 'sha256' : 'sha1';
  const workspaceGitDir = gitDirText;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-publish-'));
  const dir = path.join(base, 'repo.git');
  const home = path.join(base, 'home');
  fs.mkdirSync(home);
  await new Git(base, home).run(['init', '-q', '--bare', '--template=', `--object-format=${format}`, dir]);
  fs.mkdirSync(path.join(dir, 'objects', 'info'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'objects', 'info', 'alternates'), `${path.join(workspaceGitDir, 'objects')}\n`);
  // A shallow checkout must push as one: its boundary commits have no parents here either.
  copyIfFile(path.join(workspaceGitDir, 'shallow'), path.join(dir, 'shallow'));
  fs.mkdirSync(path.join(dir, 'info'), { recursive: true });
  copyIfFile(path.join(workspaceGitDir, 'info', 'exclude'), path.join(dir, 'info', 'exclude'));
  const workspace = ws.dir;
  return {
    git: new Git(dir, home, { GIT_DIR: dir }),
    dir,
    objects: path.join(dir, 'objects'),
    workspace,
    workspaceGitDir,
    format,
    originUrl: originUrl.stdout.trim(),
    workTreeGit: (indexFile) => new Git(workspace, home, { GIT_DIR: dir, GIT_WORK_TREE: workspace, GIT_INDEX_FILE: indexFile }),
    dispose: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

function copyIfFile(from: string, to: string): void {
  try {
    if (fs.lstatSync(from).isFile()) fs.copyFileSync(from, to);
  } catch {
    /* absent: nothing to copy */
  }
}

/**
 * Push exactly `commit` (by its id, never a ref or HEAD of the workspace) to `refs/heads/<branch>` of the origin,
 * leased on the tip seen when the run started so a concurrent push is never overwritten. The server recomputes
 * every object id it receives, so a tampered object can only make the push fail, never change what lands.
 */
export async function pushCommit(repo: PublishRepo, commit: string, branch: string, remoteSha: string | undefined, auth: Record<string, string>): Promise<void> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) throw new GitError(`refusing to push ${JSON.stringify(commit)}: not an object id`);
  if (!repo.originUrl) throw new GitError('the checkout has no origin remote to push to');
  const lease = `--force-with-lease=refs/heads/${branch}:${remoteSha ?? ''}`;
  await repo.git.run(['push', '--no-verify', '--quiet', lease, repo.originUrl, `${commit}:refs/heads/${branch}`], { env: auth });
}

/**
 * Make the workspace show the commit as before (its task branch checked out at it, the index matching), copying
 * the new objects over. The push does not depend on this; a failure here is reported, never fatal.
 */
export async function syncWorkspace(repo: PublishRepo, ws: Git, commit: string, branch: string): Promise<void> {
  copyLooseObjects(repo.objects, path.join(repo.workspaceGitDir, 'objects'));
  await ws.run(['update-ref', `refs/heads/${branch}`, commit]);
  await ws.run(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  // The new index is made here, not in the workspace: a one-tree merge keeps the stat data of unchanged entries
  // (the next scan stays cheap) but compares racy files by content, which in the workspace would run whatever
  // filter its config names. A workspace index the agent garbled is simply replaced.
  const wsIndex = path.join(repo.workspaceGitDir, 'index');
  const next = path.join(repo.dir, 'workspace-index');
  const git = repo.workTreeGit(next);
  let merged = false;
  try {
    fs.copyFileSync(wsIndex, next);
    merged = (await git.run(['read-tree', '-m', commit], { allowFailure: true })).exitCode === 0;
  } catch {
    merged = false;
  }
  if (!merged) await git.run(['read-tree', commit]);
  fs.copyFileSync(next, wsIndex); // not a rename: the two may sit on different file systems
}

function copyLooseObjects(from: string, to: string): void {
  for (const fan of fs.readdirSync(from)) {
    if (!/^[0-9a-f]{2}$/.test(fan)) continue;
    fs.mkdirSync(path.join(to, fan), { recursive: true });
    for (const name of fs.readdirSync(path.join(from, fan))) {
      const target = path.join(to, fan, name);
      if (!fs.existsSync(target)) fs.copyFileSync(path.join(from, fan, name), target);
    }
  }
}

import type { Git } from '../publish/git.js';

/** One file of a commit's tree, as git lists it. */
export interface TreeFile {
  path: string;
  /** 100644, 100755 (regular files), 120000 (a symbolic link), 160000 (a submodule). */
  mode: string;
  object: string;
}

/** A commit's files read from git's object store, never from the working tree (which the agent may change). */
export interface CommitFiles {
  sha: string;
  files: readonly TreeFile[];
  /** The text of a regular file of the tree, or undefined (absent, a link, a submodule, not UTF-8 text). */
  read(path: string): Promise<string | undefined>;
  /** Sizes in bytes of some files, asked of git in one go (sizes for the whole tree would cost seconds on big ones). */
  sizes(paths: readonly string[]): Promise<Map<string, number>>;
}

const REGULAR = new Set(['100644', '100755']);

/** Every file of `sha`'s tree (git's own order: byte order of the paths). */
export async function readCommitFiles(git: Git, sha: string): Promise<CommitFiles> {
  // -z: paths as they are (no quoting); --full-tree: the whole tree whatever the working directory. No -l: sizes
  // would make git open every object (seconds on 100,000 files).
  const out = await git.run(['ls-tree', '-r', '-z', '--full-tree', sha]);
  const files: TreeFile[] = [];
  for (const entry of out.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode, , object] = entry.slice(0, tab).split(' ');
    files.push({ path: entry.slice(tab + 1), mode, object });
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const blobs = new Map<string, Promise<string | undefined>>();
  const readBlob = async (file: TreeFile) => {
    const blob = await git.run(['cat-file', 'blob', file.object], { allowFailure: true });
    // Binary files and bytes that are not UTF-8 are not text for the prompt.
    if (blob.exitCode !== 0 || blob.stdout.includes('\u0000') || blob.stdout.includes('\uFFFD')) return undefined;
    return blob.stdout;
  };
  return {
    sha,
    files,
    read(path) {
      const file = byPath.get(path);
      if (!file || !REGULAR.has(file.mode)) return Promise.resolve(undefined);
      let text = blobs.get(path);
      if (!text) blobs.set(path, (text = readBlob(file)));
      return text;
    },
    async sizes(paths) {
      const wanted = paths.map((p) => byPath.get(p)).filter((f): f is TreeFile => f !== undefined && REGULAR.has(f.mode));
      if (wanted.length === 0) return new Map();
      const out = await git.run(['cat-file', '--batch-check=%(objectname) %(objectsize)'], { input: wanted.map((f) => f.object).join('\n') + '\n', allowFailure: true });
      const bySha = new Map(out.stdout.split('\n').map((l) => l.split(' ')).filter((p) => p.length === 2).map(([o, n]) => [o, Number(n)]));
      return new Map(wanted.filter((f) => bySha.has(f.object)).map((f) => [f.path, bySha.get(f.object)!]));
    },
  };
}

/**
 * The commit the repository context is read from: the default branch as the checkout has it (issue, schedule and
 * dispatch events check it out), else its tip fetched from origin (a pull request's checkout is its merge commit,
 * whose files the pull request wrote). Undefined when it cannot be had: then there is no repository context.
 */
export async function defaultBranchCommit(git: Git, defaultBranch: string, auth: Record<string, string>): Promise<string | undefined> {
  const head = await git.run(['symbolic-ref', '-q', 'HEAD'], { allowFailure: true });
  if (head.exitCode === 0 && head.stdout.trim() === `refs/heads/${defaultBranch}`) return git.output(['rev-parse', 'HEAD']);
  const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+refs/heads/${defaultBranch}:refs/taskcap/default-branch`], { env: auth, allowFailure: true });
  if (fetched.exitCode !== 0) return undefined;
  return git.output(['rev-parse', 'refs/taskcap/default-branch']);
}

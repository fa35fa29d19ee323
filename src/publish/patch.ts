import fs from 'node:fs';
import path from 'node:path';
import type { ProtectedPaths } from '../tools/protected-paths.js';
import { symlinkEscapes } from '../tools/protected-paths.js';
import { commitStaged, stageAll, unstage, type StagedChange } from './branch.js';
import type { Git } from './git.js';

/** The work as it will be published: one commit, the files in it, and what was left out and why. */
export interface Patch {
  /** The commit taskcap made, or undefined when nothing was left to commit. */
  commit?: string;
  changedFiles: string[];
  /** Everything left out of the commit (protected, plumbing, links out of the tree, secrets). */
  droppedPaths: string[];
  /** The part of `droppedPaths` left out because it held a secret or a token. */
  secretFiles: string[];
}

/**
 * Fold whatever the agent did since `startSha` into one change, leave out what must never be published, and
 * commit the rest. Commits the agent made itself (possible without a sandbox) are folded back in and checked as
 * a whole; nothing here pushes.
 */
export async function makePatch(
  git: Git,
  opts: { startSha: string; protectedPaths: ProtectedPaths; leaks: (text: string) => boolean; message: string },
): Promise<Patch> {
  await git.run(['reset', '-q', '--soft', opts.startSha]);
  const staged = await stageAll(git);
  // Protected paths, submodules, mode changes and links out of the tree never reach the patch (bash can write anything).
  const dropped = staged.filter((c) => opts.protectedPaths.match(c.path) || isPlumbing(c) || (c.mode === '120000' && symlinkEscapes(c.path, linkTarget(git.dir, c.path))));
  await unstage(git, dropped.map((c) => c.path));
  let changedFiles = staged.filter((c) => !dropped.includes(c)).map((c) => c.path);
  // A file whose added lines hold a secret (a known value in any encoding, or a token shape) is left out; the rest
  // of the work still ships. Lines already in the repository (fixtures, examples) do not count.
  const secretFiles = await filesAddingSecrets(git, changedFiles, opts.leaks);
  await unstage(git, secretFiles);
  changedFiles = changedFiles.filter((f) => !secretFiles.includes(f));
  const commit = await commitStaged(git, opts.message);
  return { commit, changedFiles, droppedPaths: [...dropped.map((c) => c.path), ...secretFiles], secretFiles };
}

/** Submodule pointers and mode changes: git plumbing the agent has no business changing. */
function isPlumbing(c: StagedChange): boolean {
  const modeChanged = c.oldMode !== '000000' && c.mode !== '000000' && c.oldMode !== c.mode;
  return c.mode === '160000' || c.oldMode === '160000' || modeChanged;
}

/** Where a symlink in the working tree points (its text), for the escape check. */
function linkTarget(root: string, rel: string): string {
  try {
    return fs.readlinkSync(path.join(root, rel));
  } catch {
    return '';
  }
}

/** Staged files whose added lines (binary content included, read as text) match `leaks`. */
async function filesAddingSecrets(git: Git, files: string[], leaks: (line: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    const diff = await git.run(['diff', '--cached', '--no-ext-diff', '--no-textconv', '--text', '-U0', '--no-color', '--', `:(literal)${file}`], { allowFailure: true });
    const added = diff.stdout
      .split('\n')
      .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
      .map((l) => l.slice(1));
    // Also joined: an encoded secret wrapped over several lines (base64 at 76 columns) is still caught.
    if (added.some(leaks) || leaks(added.join(''))) found.push(file);
  }
  return found;
}

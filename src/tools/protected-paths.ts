/**
 * Paths a patch may never touch, whatever wrote them: workflow and action definitions (a pushed workflow runs
 * with the repo's secrets), ownership and git plumbing files, hooks, and taskcap's own config.
 */
export const DEFAULT_PROTECTED = [
  '.github/workflows/**',
  '.github/actions/**',
  'CODEOWNERS',
  '.github/CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitmodules',
  '.gitattributes',
  '**/.gitattributes',
  '.husky/**',
] as const;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" matches everything below.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // Case-insensitive: `.GitHub/Workflows/x.yml` is the same file on a case-insensitive checkout.
  return new RegExp(`^${re}$`, 'i');
}

/** Matches repo-relative POSIX paths against protected globs; a directory glob also covers the directory itself. */
export class ProtectedPaths {
  private readonly patterns: { glob: string; re: RegExp; dir?: RegExp }[];

  constructor(readonly globs: readonly string[]) {
    this.patterns = globs.map((glob) => ({
      glob,
      re: globToRegExp(glob),
      dir: glob.endsWith('/**') ? globToRegExp(glob.slice(0, -3)) : undefined,
    }));
  }

  /** The glob that protects `rel`, if any. */
  match(rel: string): string | undefined {
    const p = rel.replace(/\\/g, '/').replace(/^\.\//, '');
    return this.patterns.find((x) => x.re.test(p) || x.dir?.test(p))?.glob;
  }
}

/**
 * Whether a symlink committed at `rel` (repo-relative POSIX path) with link text `target` points outside the
 * repository or into `.git`: such a link is harmless to git but a trap for whatever later reads the checkout
 * (a CI step, a reviewer's editor), so the final diff should leave it out like a protected path.
 */
export function symlinkEscapes(rel: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return true;
  const parts = rel.split('/').slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) return true;
      parts.pop();
    } else parts.push(c);
    if (c.toLowerCase() === '.git') return true;
  }
  return false;
}

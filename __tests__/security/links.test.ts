// Links followed for real (issue 11, 1): a chain of relative links, each harmless on its own text, can lead out
// of the workspace; so can a link followed by `..`. The resolver follows every link as the kernel does (chains,
// loops and a 40-link bound included); the editor refuses to read, list or write through such a chain in either
// sandbox mode; inside bubblewrap a chain reaches nothing a direct path would not.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Editor } from '../../src/tools/editor.js';
import { DEFAULT_PROTECTED, ProtectedPaths } from '../../src/tools/protected-paths.js';
import { diskLookup, gitFileName, isDotGit, MAX_LINK_HOPS, resolveLink, resolvePath, treeLookup } from '../../src/tools/resolve-links.js';
import { createHostShell } from '../../src/tools/shell.js';
import { ToolError } from '../../src/tools/workspace-path.js';
import { bashTool, CANARY, editorFor, itSandbox, listTree, makeRunnerLayout, sandboxFor, type RunnerLayout } from './harness.js';

const tree = (entries: Record<string, string | null>) => treeLookup(new Map(Object.entries(entries).map(([p, link]) => [p, link === null ? {} : { link }])));

describe('the resolver follows links as the kernel does', () => {
  it.each([
    ['a -> . then b -> a/..', { a: '.', b: 'a/..' }, 'b', 'outside'],
    ['a link to a deep directory, then ..', { 'x/y/z/f': null, deep: 'x/y/z', up: 'deep/../../..' }, 'up', 'inside:'],
    ['.. climbs from the target, not from the link', { 'x/y/f': null, l: 'x/y', u: 'l/../..' }, 'u', 'inside:'],
    ['.. past the target\'s root', { 'x/f': null, l: 'x', u: 'l/../..' }, 'u', 'outside'],
    ['a chain that stays inside', { 'src/app.js': null, s: 'src', a: 's/app.js', b: 'a' }, 'b', 'inside:src/app.js'],
    ['a nested chain in subdirectories', { 'd1/f': null, 'd1/l1': '..', 'd1/l2': 'l1/d1/l1/..' }, 'd1/l2', 'outside'],
    ['a loop of two', { p: 'q', q: 'p' }, 'p', 'loop'],
    ['a link to itself', { s: 's' }, 's', 'loop'],
    ['a loop through a directory link', { d: 'd/x' }, 'd', 'loop'],
    ['into .git through a link to the root', { r: '.', g: 'r/.git/config' }, 'g', 'git'],
    ['into .GIT in another case', { g: '.GIT' }, 'g', 'git'],
    ['into a nested .git', { 'sub/f': null, g: 'sub/.git/hooks' }, 'g', 'git'],
    ['into an NTFS spelling of .git', { g: 'git~1/config' }, 'g', 'git'],
    ['absolute, even to a path that looks inside', { a: '/repo/src' }, 'a', 'outside'],
    ['dangling, but climbing once its directory exists', { x: 'missing/../../..' }, 'x', 'outside'],
    ['dangling inside', { x: 'missing/file' }, 'x', 'inside:missing/file'],
    ['through a file as if it were a directory', { 'f.txt': null, x: 'f.txt/../../..' }, 'x', 'outside'],
  ])('%s', (_name, entries, at, expected) => {
    const lookup = tree(entries as Record<string, string | null>);
    const link = (entries as Record<string, string | null>)[at] as string;
    const r = resolveLink(lookup, at, link);
    expect(r.kind === 'inside' ? `inside:${r.rel}` : r.kind).toBe(expected);
  });

  it('gives up after 40 links, counting the link itself (as open(2) does)', () => {
    const chain = (n: number) => tree(Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, i === n - 1 ? 'end' : `h${i + 1}`])));
    expect(resolveLink(chain(MAX_LINK_HOPS), 'h0', 'h1').kind).toBe('inside');
    expect(resolveLink(chain(MAX_LINK_HOPS + 1), 'h0', 'h1').kind).toBe('loop');
  });

  it('names the links it went through (to blame the one that made an old link lead astray)', () => {
    const r = resolveLink(tree({ a: 'b', b: 'c', c: '..' }), 'a', 'b');
    expect(r.via).toEqual(['b', 'c']);
  });

  it.each([['.git'], ['.GIT'], ['.Git.'], ['.git '], ['git~1'], ['GIT~1'], ['.git::$INDEX_ALLOCATION'], ['.g\u200cit']])('%j is git\'s own directory', (name) => {
    expect(isDotGit(name)).toBe(true);
  });

  it.each([['.github'], ['.gitignore'], ['git'], ['x.git'], ['.gitx']])('%j is an ordinary name', (name) => expect(isDotGit(name)).toBe(false));

  it.each([
    ['.gitmodules', '.gitmodules'],
    ['.GitModules', '.gitmodules'],
    ['GITMOD~1', '.gitmodules'],
    ['gi7eba~2', '.gitmodules'],
    ['.gitmodules. .', '.gitmodules'],
    ['.gitattributes:stream', '.gitattributes'],
    ['.git\u200dignore', '.gitignore'],
    ['MAILMA~1', '.mailmap'],
    ['gitmodules', undefined],
    ['.gitmodules-backup', undefined],
  ])('%j is read by git as %s', (name, file) => expect(gitFileName(name)).toBe(file));

  it('on disk, an absolute path counts only under the workspace and without ..', () => {
    const layout = makeRunnerLayout();
    try {
      const lookup = diskLookup(layout.workspace);
      expect(resolvePath(lookup, '', `${layout.workspace}/src/app.js`, { absoluteRoot: layout.workspace })).toMatchObject({ kind: 'inside', rel: 'src/app.js' });
      expect(resolvePath(lookup, '', `${layout.workspace}/../repo/src`, { absoluteRoot: layout.workspace }).kind).toBe('outside');
      expect(resolvePath(lookup, '', `${layout.workspace}x/src`, { absoluteRoot: layout.workspace }).kind).toBe('outside');
      expect(resolvePath(lookup, '', layout.runnerTemp, { absoluteRoot: layout.workspace }).kind).toBe('outside');
    } finally {
      layout.cleanup();
    }
  });
});

describe('the editor never reads, lists or writes through a chain that leads astray', () => {
  let layout: RunnerLayout;
  let editor: Editor;
  let outsideBefore: string[];
  const CAP = 10_000;
  const ws = (rel: string) => path.join(layout.workspace, rel);
  const attempt = (input: Record<string, unknown>): { error?: string; text?: string } => {
    try {
      return { text: editor.run(input, CAP).text };
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
      return { error: e.message };
    }
  };
  beforeEach(() => {
    layout = makeRunnerLayout();
    editor = editorFor(layout);
    outsideBefore = listTree(layout.base, layout.workspace);
  });
  afterEach(() => {
    expect(listTree(layout.base, layout.workspace)).toEqual(outsideBefore);
    layout.cleanup();
  });

  // The workspace is <base>/home/runner/work/repo/repo: three levels up is the runner's HOME with its work dir.
  const chains: [string, [string, string][], string][] = [
    ['a -> ., b -> a/..', [['a', '.'], ['b', 'a/..']], 'b'],
    ['a chain climbing three levels', [['a', '.'], ['b', 'a/..'], ['c', 'b/..'], ['d', 'c/..']], 'd'],
    ['a link to a link of a subdirectory, then ..', [['src/up', '..'], ['u', 'src/up/..']], 'u'],
    ['a link into .git through the root', [['r', '.'], ['g', 'r/.git']], 'g'],
    ['a loop', [['p', 'q'], ['q', 'p']], 'p'],
  ];

  it.each(chains)('%s: view of the link and of paths below it is refused', (_name, links, at) => {
    for (const [p, t] of links) fs.symlinkSync(t, ws(p));
    for (const p of [at, `${at}/`, `${at}/repo`, `${at}/_temp/git-credentials-1234.config`, `${at}/outside-secret.txt`]) {
      const r = attempt({ command: 'view', path: p });
      expect([p, r.error]).toEqual([p, expect.stringMatching(/leads outside|git's own directory|loop of symbolic links|dangling|does not exist/)]);
      expect(JSON.stringify(r)).not.toContain(CANARY.token);
      expect(JSON.stringify(r)).not.toContain(CANARY.workflowSecret);
    }
  });

  it.each(chains)('%s: create, str_replace and insert below it are refused and write nothing outside', (_name, links, at) => {
    for (const [p, t] of links) fs.symlinkSync(t, ws(p));
    for (const input of [
      { command: 'create', path: `${at}/planted.txt`, file_text: 'x' },
      { command: 'create', path: `${at}/_temp/_runner_file_commands/set_env_1`, file_text: 'NODE_OPTIONS=--require /tmp/x\n' },
      { command: 'str_replace', path: `${at}/repo/README.md`, old_str: 'demo', new_str: 'pwned' },
      { command: 'insert', path: `${at}/.gitconfig`, insert_line: 0, insert_text: '[core]\n' },
    ]) {
      expect(attempt(input).error).toMatch(/leads outside|git's own directory|loop of symbolic links|dangling|symbolic link/);
    }
    expect(fs.readFileSync(path.join(layout.runnerTemp, '_runner_file_commands/set_env_1'), 'utf8')).toBe('');
  });

  it('a chain made by a command without a sandbox is refused the same way', async () => {
    await bashTool(layout, createHostShell()).run({ command: 'ln -s . a && ln -s a/.. b && ln -s b/.. c' }, CAP, 60_000);
    expect(attempt({ command: 'view', path: 'c/work/_temp' }).error).toMatch(/leads outside/);
    expect(attempt({ command: 'view', path: 'b' }).error).toMatch(/leads outside/);
  });

  itSandbox('a chain made inside bubblewrap is refused the same way', async () => {
    const sandbox = await sandboxFor(layout);
    const out = await bashTool(layout, sandbox.shell).run({ command: 'ln -s . a && ln -s a/.. b && ln -s b/.. c && echo made' }, CAP, 60_000);
    expect(out.text).toBe('made');
    expect(attempt({ command: 'view', path: 'c/work/_temp' }).error).toMatch(/leads outside/);
    expect(attempt({ command: 'create', path: 'b/planted', file_text: 'x' }).error).toMatch(/leads outside/);
  });

  it('a chain onto protected files is refused for writes (and reads are fine)', () => {
    fs.symlinkSync('.', ws('root'));
    fs.symlinkSync('root/.github', ws('gh'));
    fs.symlinkSync('gh/workflows', ws('wf'));
    expect(attempt({ command: 'create', path: 'wf/evil.yml', file_text: 'on: push\n' }).error).toMatch(/\.github\/workflows\/evil\.yml is a protected path/);
    expect(attempt({ command: 'create', path: 'gh/CODEOWNERS', file_text: '* @x\n' }).error).toMatch(/protected path/);
    expect(attempt({ command: 'create', path: 'root/action.yml', file_text: 'runs: {}\n' }).error).toMatch(/action\.yml is a protected path/);
    expect(attempt({ command: 'view', path: 'wf/ci.yml' }).text).toContain('name: ci');
    expect(fs.existsSync(ws('.github/workflows/evil.yml'))).toBe(false);
  });

  it('a chain of directory links that stays inside is followed for reads and listings (a file link points the model at its target)', () => {
    fs.symlinkSync('src', ws('s'));
    fs.symlinkSync('s', ws('t'));
    fs.symlinkSync('t/app.js', ws('b'));
    expect(attempt({ command: 'view', path: 't/app.js' }).text).toContain('answer');
    expect(attempt({ command: 'view', path: 'b' }).error).toMatch(/is a symbolic link; view its target instead/);
    expect(attempt({ command: 'view', path: 's' }).text).toContain('app.js');
  });

  it('a link to the workspace\'s parent cannot be listed (names of sibling directories stay unseen)', () => {
    fs.symlinkSync('.', ws('a'));
    fs.symlinkSync('a/..', ws('b'));
    const r = attempt({ command: 'view', path: 'b' });
    expect(r.error).toMatch(/leads outside/);
    expect(JSON.stringify(r)).not.toContain('repo/');
  });
});

describe('commands reading through a chain', () => {
  let layout: RunnerLayout;
  beforeEach(() => {
    layout = makeRunnerLayout();
  });
  afterEach(() => layout.cleanup());
  // a = the workspace, b..e climb to the runner's HOME and above, f = the base holding a secret file.
  const READ = 'ln -s . a && ln -s a/.. b && ln -s b/.. c && ln -s c/.. d && ln -s d/.. e && ln -s e/.. f; cat f/outside-secret.txt d/work/_temp/git-credentials-1234.config 2>&1; ls f d/work 2>&1 | head -20';

  itSandbox('inside bubblewrap reach nothing a direct path would not: RUNNER_TEMP and the runner HOME stay masked', async () => {
    const sandbox = await sandboxFor(layout);
    const out = (await bashTool(layout, sandbox.shell).run({ command: READ }, 20_000, 60_000)).text;
    expect(out).not.toContain(CANARY.token);
    expect(out).not.toContain(CANARY.workflowSecret);
    expect(out).not.toMatch(/extraheader|_runner_file_commands/);
    expect(out).toMatch(/No such file or directory/);
  });

  it('without a sandbox read what the runner user can read (the documented limit of sandbox: off), as a control', async () => {
    const out = (await bashTool(layout, createHostShell()).run({ command: READ }, 20_000, 60_000)).text;
    expect(out).toContain(CANARY.workflowSecret);
  });
});

describe('protected paths reached under another name', () => {
  const p = new ProtectedPaths([...DEFAULT_PROTECTED, '.github/taskcap.yml', 'deploy/**']);
  it.each([
    ['.github', '.github/workflows/**'],
    ['.GitHub', '.github/workflows/**'],
    ['.github/workflows', '.github/workflows/**'],
    ['', '.github/workflows/**'],
    ['deploy', 'deploy/**'],
    ['docs', 'docs/CODEOWNERS'],
    ['action.yml', 'action.yml'],
    ['tools/setup/action.yaml', '**/action.yaml'],
    ['lib/.gitmodules', '**/.gitmodules'],
  ])('%j reaches %s', (rel, glob) => expect(p.reaches(rel)).toBe(glob));

  it.each([['src'], ['lib'], ['.githubx'], ['github'], ['src/actions.yml']])('%j reaches nothing protected', (rel) => expect(p.reaches(rel)).toBeUndefined());
});

// The editor tool against hostile paths, links, protected files and awkward files (security.md (b) 4, 5, 6, 11).
// Every case ends in a ToolError (a message for the model) or a confined, correct result; nothing outside the
// workspace is read or created.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Editor } from '../../src/tools/editor.js';
import { symlinkEscapes } from '../../src/tools/protected-paths.js';
import { Toolbox } from '../../src/tools/toolbox.js';
import { ToolError } from '../../src/tools/workspace-path.js';
import { bashTool, CANARY, itSandbox, editorFor, listTree, makeRunnerLayout, sandboxFor, type RunnerLayout } from './harness.js';

let layout: RunnerLayout;
let editor: Editor;
let outsideBefore: string[];
const CAP = 10_000;

beforeEach(() => {
  layout = makeRunnerLayout();
  editor = editorFor(layout);
  outsideBefore = listTree(layout.base, layout.workspace);
});
afterEach(() => {
  // Invariant for every case: nothing appeared outside the workspace.
  const outsideAfter = listTree(layout.base, layout.workspace);
  expect(outsideAfter).toEqual(outsideBefore);
  layout.cleanup();
});

const view = (p: string) => editor.run({ command: 'view', path: p }, CAP);
const create = (p: string, text = 'pwned\n') => editor.run({ command: 'create', path: p, file_text: text }, CAP);
const ws = (rel: string) => path.join(layout.workspace, rel);

/** The outcome as the model would see it: a refusal is fine, a crash or a leak is not. */
function attempt(fn: () => unknown): { error?: string; text?: string } {
  try {
    const r = fn() as { text: string };
    return { text: r.text };
  } catch (e) {
    if (!(e instanceof ToolError)) throw e; // anything but a ToolError would be a crash of the tool
    return { error: e.message };
  }
}

describe('paths (b-4)', () => {
  it.each([
    ['../../etc/passwd', /outside the repository/],
    ['/etc/passwd', /outside the repository/],
    ['/proc/self/environ', /outside the repository/],
    ['/proc/1/mem', /outside the repository/],
    ['.git/config', /git's own directory/],
    ['.git/hooks/pre-commit', /git's own directory/],
    ['.GIT/config', /git's own directory/],
    ['src/../.git/hooks/x', /git's own directory/],
    ['sub/.git/config', /git's own directory/],
    ['a\0b', /NUL or control character/],
    ['evil\nname.js', /NUL or control character/],
    ['carriage\rreturn', /NUL or control character/],
    [`${'a/'.repeat(2100)}x`, /too long/],
    [`${'n'.repeat(256)}.js`, /too long/],
  ])('refuses to view or create %j', (p, message) => {
    expect(attempt(() => view(p)).error).toMatch(message);
    expect(attempt(() => create(p)).error).toMatch(message);
  });

  it('refuses RUNNER_TEMP, its credentials and the runner file-command files by absolute path', () => {
    for (const p of [path.join(layout.runnerTemp, 'git-credentials-1234.config'), path.join(layout.runnerTemp, '_runner_file_commands/set_env_1'), path.join(layout.runnerHome, '.gitconfig')]) {
      expect(attempt(() => view(p)).error).toMatch(/outside the repository/);
      expect(attempt(() => create(p, 'NODE_OPTIONS=--require /tmp/x\n')).error).toMatch(/outside the repository/);
    }
    expect(fs.readFileSync(path.join(layout.runnerTemp, '_runner_file_commands/set_env_1'), 'utf8')).toBe('');
  });

  it.each([['%2e%2e/%2e%2e/etc/passwd'], ['..\\..\\etc\\passwd'], ['~/.ssh/id_rsa'], ['$HOME/.gitconfig']])(
    'treats %j as a literal name inside the workspace, never as an escape',
    (p) => {
      expect(attempt(() => view(p)).error).toMatch(/does not exist/);
      expect(create(p, 'literal\n').text).toMatch(/^Created /);
      expect(fs.readFileSync(path.join(layout.workspace, p), 'utf8')).toBe('literal\n');
    },
  );

  it('accepts an absolute path inside the workspace and `..` that stays inside', () => {
    expect(view(ws('src/app.js')).text).toContain('answer');
    expect(view('src/../src/./app.js').text).toContain('answer');
  });
});

describe('symlinks and hard links (b-5)', () => {
  it('does not follow a link to /etc/passwd', () => {
    fs.symlinkSync('/etc/passwd', ws('passwd'));
    expect(attempt(() => view('passwd')).error).toMatch(/symbolic link that leads outside/);
    expect(attempt(() => create('passwd')).error).toMatch(/symbolic link/);
  });

  it('does not follow a link to ../.. (the runner\'s work directory)', () => {
    fs.symlinkSync('../..', ws('up'));
    expect(attempt(() => view('up')).error).toMatch(/leads outside/);
    expect(attempt(() => view('up/_temp/git-credentials-1234.config')).error).toMatch(/leads outside/);
    expect(attempt(() => create('up/_temp/planted')).error).toMatch(/leads outside/);
  });

  it('does not write through a symlinked directory that leads outside', () => {
    fs.symlinkSync(layout.runnerTemp, ws('tempdir'));
    expect(attempt(() => create('tempdir/_runner_file_commands/set_env_1', 'X=1\n')).error).toMatch(/leads outside/);
    expect(attempt(() => create('tempdir/new-file')).error).toMatch(/leads outside/);
  });

  it('does not follow a link into .git', () => {
    fs.symlinkSync('.git', ws('g'));
    expect(attempt(() => view('g/config')).error).toMatch(/leads outside|git's own directory/);
    expect(attempt(() => create('g/hooks/pre-commit', '#!/bin/sh\ncurl evil\n')).error).toMatch(/leads outside|git's own directory/);
  });

  it('refuses a dangling link for reads and writes', () => {
    fs.symlinkSync('/nonexistent/target', ws('dangling'));
    expect(attempt(() => view('dangling')).error).toMatch(/dangling symbolic link/);
    expect(attempt(() => create('dangling')).error).toMatch(/symbolic link/);
    expect(attempt(() => create('dangling/below')).error).toMatch(/dangling symbolic link/);
  });

  it('refuses a hard link to a file outside the workspace (read and write)', () => {
    fs.linkSync(layout.outsideSecret, ws('hard.txt'));
    expect(attempt(() => view('hard.txt')).error).toMatch(/hard link/);
    expect(attempt(() => editor.run({ command: 'str_replace', path: 'hard.txt', old_str: 'TOP', new_str: 'x' }, CAP)).error).toMatch(/hard link/);
    expect(fs.readFileSync(layout.outsideSecret, 'utf8')).toContain('TOP SECRET');
  });

  it('catches a file swapped for an outside file after the check (the opened descriptor is re-checked)', () => {
    const fd = fs.openSync(layout.outsideSecret, 'r');
    try {
      const paths = (editor as unknown as { paths: { assertOpenedInside(fd: number, shown: string): void } }).paths;
      expect(() => paths.assertOpenedInside(fd, 'swapped.txt')).toThrow(/resolved outside the repository while being opened/);
    } finally {
      fs.closeSync(fd);
    }
  });

  itSandbox('a link created by a sandboxed command and then read by the editor is still refused', async () => {
    const sandbox = await sandboxFor(layout);
    const out = await bashTool(layout, sandbox.shell).run({ command: `ln -s ${layout.outsideSecret} leak.txt && ln -s ${layout.runnerTemp} rt && ls -l leak.txt rt | wc -l` }, CAP, 60_000);
    expect(out.text).toBe('2');
    expect(attempt(() => view('leak.txt')).error).toMatch(/leads outside/);
    expect(attempt(() => view('rt/git-credentials-1234.config')).error).toMatch(/leads outside/);
    expect(JSON.stringify([attempt(() => view('leak.txt')), attempt(() => view('rt'))])).not.toContain(CANARY.token);
  });

  it.each([
    ['leak', '/etc/passwd', true],
    ['up', '../..', true],
    ['src/deep', '../../..', true],
    ['g', '.git/config', true],
    ['src/g', '../.GIT/hooks', true],
    ['alias.js', 'src/app.js', false],
    ['src/up', '../README.md', false],
  ])('flags a committed symlink %s -> %s that escapes the repository: %s', (rel, target, escapes) => {
    expect(symlinkEscapes(rel, target)).toBe(escapes);
  });

  it('reads a FIFO planted by a command without hanging (and refuses to write one)', () => {
    execFileSync('mkfifo', [ws('pipe')]);
    const started = Date.now();
    expect(attempt(() => view('pipe')).error).toMatch(/not a regular file/);
    expect(attempt(() => editor.run({ command: 'str_replace', path: 'pipe', old_str: 'a', new_str: 'b' }, CAP)).error).toMatch(/not a regular file/);
    expect(attempt(() => create('pipe')).error).toMatch(/not a regular file/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('protected files through the editor (b-6)', () => {
  it.each([
    ['create', '.github/workflows/evil.yml'],
    ['create', '.GitHub/Workflows/evil.yml'],
    ['create', '.github/actions/setup/action.yml'],
    ['create', 'CODEOWNERS'],
    ['create', '.github/CODEOWNERS'],
    ['create', '.gitmodules'],
    ['create', '.gitattributes'],
    ['create', 'src/.gitattributes'],
    ['create', '.husky/pre-commit'],
    ['create', '.github/taskcap.yml'],
    ['str_replace', '.github/workflows/ci.yml'],
    ['insert', '.github/workflows/release.yml'],
  ])('refuses %s on %s', (command, p) => {
    const input = { command, path: p, file_text: 'on: push\n', old_str: 'name', new_str: 'x', insert_line: 0, insert_text: 'x' };
    expect(attempt(() => editor.run(input, CAP)).error).toMatch(/is a protected path/);
  });

  it('refuses a protected file reached through an in-repo link (wf -> .github/workflows)', () => {
    fs.symlinkSync('.github/workflows', ws('wf'));
    expect(attempt(() => create('wf/evil.yml')).error).toMatch(/\.github\/workflows\/evil\.yml is a protected path/);
    expect(attempt(() => editor.run({ command: 'str_replace', path: 'wf/ci.yml', old_str: 'name', new_str: 'x' }, CAP)).error).toMatch(/protected path/);
    expect(fs.existsSync(ws('.github/workflows/evil.yml'))).toBe(false);
  });

  it('refuses extra globs from the protected-paths input', () => {
    const strict = editorFor(layout, ['deploy/**', '*.pem']);
    expect(attempt(() => strict.run({ command: 'create', path: 'deploy/prod.sh', file_text: 'x' }, CAP)).error).toMatch(/protected path \(deploy\/\*\*\)/);
    expect(attempt(() => strict.run({ command: 'create', path: 'server.pem', file_text: 'x' }, CAP)).error).toMatch(/protected path \(\*\.pem\)/);
  });

  it('has no delete or rename command to abuse, and refuses undo_edit', () => {
    expect(attempt(() => editor.run({ command: 'delete', path: '.github/workflows/ci.yml' }, CAP)).error).toMatch(/Unknown command/);
    expect(attempt(() => editor.run({ command: 'rename', path: '.github/workflows/ci.yml', new_path: 'x.yml' }, CAP)).error).toMatch(/Unknown command/);
    expect(attempt(() => editor.run({ command: 'undo_edit', path: '.github/workflows/ci.yml' }, CAP)).error).toMatch(/not supported/);
    expect(fs.readFileSync(ws('.github/workflows/ci.yml'), 'utf8')).toBe('name: ci\non: push\njobs: {}\n');
  });

  it('still reads protected files (the agent may look, not touch)', () => {
    expect(view('.github/workflows/ci.yml').text).toContain('name: ci');
  });
});

describe('awkward files (b-11)', () => {
  it('refuses a 1 GB sparse file by its size, at once, without reading it', () => {
    execFileSync('truncate', ['-s', '1G', ws('huge.bin')]);
    const started = Date.now();
    expect(attempt(() => view('huge.bin')).error).toMatch(/1,073,741,824 bytes, over the editor's 4 MB limit; read parts of it with bash/);
    expect(attempt(() => editor.run({ command: 'str_replace', path: 'huge.bin', old_str: 'a', new_str: 'b' }, CAP)).error).toMatch(/over the editor's 4 MB limit/);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it.each([
    ['a NUL-containing binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x90]), /binary file/],
    ['UTF-16 with a BOM', Buffer.from('\ufeffhello', 'utf16le'), /binary file/],
    ['Latin-1 text', Buffer.from('caf\xe9 cr\xe8me', 'latin1'), /not valid UTF-8/],
    ['invalid UTF-8 (overlong, lone continuation)', Buffer.from([0x61, 0xc0, 0xaf, 0x80, 0x62]), /not valid UTF-8/],
  ])('refuses %s with a message, not garbage', (_name, bytes, message) => {
    fs.writeFileSync(ws('file.dat'), bytes);
    expect(attempt(() => view('file.dat')).error).toMatch(message);
    expect(attempt(() => editor.run({ command: 'str_replace', path: 'file.dat', old_str: 'a', new_str: 'b' }, CAP)).error).toMatch(message);
    expect(fs.readFileSync(ws('file.dat'))).toEqual(bytes);
  });

  it('edits a CRLF file without corrupting its line endings', () => {
    fs.writeFileSync(ws('win.bat'), '@echo off\r\nset A=1\r\nexit /b 0\r\n');
    editor.run({ command: 'str_replace', path: 'win.bat', old_str: 'set A=1\nexit', new_str: 'set A=2\nexit' }, CAP);
    editor.run({ command: 'insert', path: 'win.bat', insert_line: 1, insert_text: 'rem hi\n' }, CAP);
    expect(fs.readFileSync(ws('win.bat'), 'utf8')).toBe('@echo off\r\nrem hi\r\nset A=2\r\nexit /b 0\r\n');
  });

  it('lists a directory of 100,000 files quickly, capped, with a count of what was left out', () => {
    const big = makeRunnerLayout({}, { onTmpfs: true });
    try {
      const dir = path.join(big.workspace, 'many');
      fs.mkdirSync(dir);
      execFileSync('bash', ['-c', 'seq -f "f%.0f" 0 99999 | xargs touch'], { cwd: dir });
      expect(fs.readdirSync(dir)).toHaveLength(100_000);
      const started = Date.now();
      const text = editorFor(big).run({ command: 'view', path: 'many' }, CAP).text;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CAP);
      expect(text).toMatch(/… and 99,700 more entries$/);
    } finally {
      big.cleanup();
    }
  }, 60_000);

  it('handles NFD names, names starting with "-" and LFS pointers as ordinary text', () => {
    const nfd = 'cafe\u0301.md';
    fs.writeFileSync(ws(nfd), 'accent\n');
    fs.writeFileSync(ws('-rf'), 'dash\n');
    fs.writeFileSync(ws('model.bin'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n');
    expect(view(nfd).text).toContain('accent');
    expect(view('-rf').text).toContain('dash');
    expect(view('model.bin').text).toContain('git-lfs');
  });

  it('turns an unexpected failure into a tool error for the model, never a crash of the run', async () => {
    const toolbox = new Toolbox(bashTool(layout), editor, (t) => t, () => 0);
    const outcomes = await Promise.all([
      toolbox.run({ id: '1', name: 'str_replace_based_edit_tool', input: null }, CAP, 60_000),
      toolbox.run({ id: '2', name: 'str_replace_based_edit_tool', input: { command: 'view', path: 42 } }, CAP, 60_000),
      toolbox.run({ id: '3', name: 'computer', input: {} }, CAP, 60_000),
      toolbox.run({ id: '4', name: 'bash', input: { command: '' } }, CAP, 60_000),
    ]);
    expect(outcomes.map((o) => [o.isError, o.text.split(':')[0]])).toEqual(Array(4).fill([true, 'Error']));
  });
});

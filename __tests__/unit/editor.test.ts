import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Editor } from '../../src/tools/editor.js';
import { DEFAULT_PROTECTED, ProtectedPaths } from '../../src/tools/protected-paths.js';
import { WorkspacePaths } from '../../src/tools/workspace-path.js';

let root: string;
let editor: Editor;
const CAP = 10_000;

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'editor-')));
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src/a.js'), 'const a = 1;\nconst b = 2;\nconst c = 1;\n');
  editor = new Editor(new WorkspacePaths(root, new ProtectedPaths([...DEFAULT_PROTECTED, '.github/taskcap.yml'])));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (input: Record<string, unknown>) => editor.run(input, CAP);
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

describe('view', () => {
  it('shows a file with line numbers', () => {
    expect(run({ command: 'view', path: 'src/a.js' }).text).toBe('     1\tconst a = 1;\n     2\tconst b = 2;\n     3\tconst c = 1;');
  });
  it('shows a view_range, with -1 meaning the end of the file', () => {
    expect(run({ command: 'view', path: 'src/a.js', view_range: [2, -1] }).text).toBe('     2\tconst b = 2;\n     3\tconst c = 1;');
  });
  it('rejects a view_range outside the file', () => {
    expect(() => run({ command: 'view', path: 'src/a.js', view_range: [2, 9] })).toThrow(/outside the file's 3 lines/);
  });
  it('accepts absolute paths inside the workspace', () => {
    expect(run({ command: 'view', path: path.join(root, 'src/a.js'), view_range: [1, 1] }).text).toBe('     1\tconst a = 1;');
  });
  it('lists a directory two levels deep, skipping hidden entries and node_modules', () => {
    fs.mkdirSync(path.join(root, 'node_modules/x'), { recursive: true });
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1');
    const text = run({ command: 'view', path: '.' }).text;
    expect(text).toContain('src/\nsrc/a.js');
    expect(text.split('\n').slice(1)).toEqual(['src/', 'src/a.js']);
  });
  it('caps a long file with head, tail and an omission marker', () => {
    fs.writeFileSync(path.join(root, 'big.txt'), Array.from({ length: 20_000 }, (_, i) => `row ${i}`).join('\n'));
    const text = editor.run({ command: 'view', path: 'big.txt' }, 3000).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/bytes omitted/);
    expect(text).toContain('row 19999');
  });
  it('refuses binary and non-UTF-8 files with a message instead of garbage', () => {
    fs.writeFileSync(path.join(root, 'bin.dat'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    fs.writeFileSync(path.join(root, 'latin1.txt'), Buffer.from('caf\xe9', 'latin1'));
    expect(() => run({ command: 'view', path: 'bin.dat' })).toThrow(/binary file/);
    expect(() => run({ command: 'view', path: 'latin1.txt' })).toThrow(/not valid UTF-8/);
  });
  it('refuses files over the size limit and points to bash', () => {
    const fd = fs.openSync(path.join(root, 'sparse.bin'), 'w');
    fs.ftruncateSync(fd, 1024 * 1024 * 1024);
    fs.closeSync(fd);
    expect(() => run({ command: 'view', path: 'sparse.bin' })).toThrow(/over the editor's 4 MB limit; read parts of it with bash/);
  });
});

describe('create, str_replace, insert', () => {
  it('creates a file with its parent directories', () => {
    expect(run({ command: 'create', path: 'lib/deep/new.ts', file_text: 'export {}\n' }).text).toBe('Created lib/deep/new.ts.');
    expect(read('lib/deep/new.ts')).toBe('export {}\n');
  });
  it('replaces exactly one match and shows the edited lines', () => {
    const r = run({ command: 'str_replace', path: 'src/a.js', old_str: 'const b = 2;', new_str: 'const b = 3;' });
    expect(read('src/a.js')).toBe('const a = 1;\nconst b = 3;\nconst c = 1;\n');
    expect(r.text).toContain('     2\tconst b = 3;');
  });
  it('refuses when old_str is missing, and when it matches more than once (naming the lines)', () => {
    expect(() => run({ command: 'str_replace', path: 'src/a.js', old_str: 'nope', new_str: 'x' })).toThrow(/does not appear verbatim/);
    expect(() => run({ command: 'str_replace', path: 'src/a.js', old_str: '= 1;', new_str: '= 0;' })).toThrow(/appears 2 times .* \(lines 1, 3\)/);
    expect(read('src/a.js')).toBe('const a = 1;\nconst b = 2;\nconst c = 1;\n');
  });
  it('keeps CRLF line endings when edited with LF strings', () => {
    fs.writeFileSync(path.join(root, 'win.txt'), 'one\r\ntwo\r\nthree\r\n');
    run({ command: 'str_replace', path: 'win.txt', old_str: 'one\ntwo', new_str: 'uno\ndos' });
    expect(read('win.txt')).toBe('uno\r\ndos\r\nthree\r\n');
    run({ command: 'insert', path: 'win.txt', insert_line: 1, insert_text: 'mid' });
    expect(read('win.txt')).toBe('uno\r\nmid\r\ndos\r\nthree\r\n');
  });
  it('inserts after a line (0 = top) and rejects lines outside the file', () => {
    run({ command: 'insert', path: 'src/a.js', insert_line: 0, insert_text: '// header\n' });
    expect(read('src/a.js').split('\n')[0]).toBe('// header');
    expect(() => run({ command: 'insert', path: 'src/a.js', insert_line: 99, insert_text: 'x' })).toThrow(/outside 0..4/);
  });
  it('keeps the file mode of an edited script', () => {
    fs.writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    run({ command: 'str_replace', path: 'run.sh', old_str: 'hi', new_str: 'hello' });
    expect(fs.statSync(path.join(root, 'run.sh')).mode & 0o777).toBe(0o755);
  });
  it('rejects unknown commands and undo_edit', () => {
    expect(() => run({ command: 'delete', path: 'src/a.js' })).toThrow(/Unknown command "delete"/);
    expect(() => run({ command: 'undo_edit', path: 'src/a.js' })).toThrow(/undo_edit is not supported/);
  });
});

describe('confinement', () => {
  it.each([
    ['../../etc/passwd', /outside the repository/],
    ['/etc/passwd', /outside the repository/],
    ['/proc/self/environ', /outside the repository/],
    ['.git/config', /git's own directory/],
    ['.GIT/config', /git's own directory/],
    ['src/../.git/hooks/pre-commit', /git's own directory/],
    ['a\0b', /NUL or control character/],
    ['name\nwith-newline', /NUL or control character/],
  ])('refuses %j', (p, message) => {
    expect(() => run({ command: 'view', path: p })).toThrow(message);
    expect(() => run({ command: 'create', path: p, file_text: 'x' })).toThrow(message);
  });

  it('refuses symlinks that lead outside, for reads and writes, on any component', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret'), 'TOP SECRET');
    fs.symlinkSync('/etc/passwd', path.join(root, 'passwd'));
    fs.symlinkSync(outside, path.join(root, 'linkdir'));
    fs.symlinkSync('../..', path.join(root, 'up'));
    expect(() => run({ command: 'view', path: 'passwd' })).toThrow(/symbolic link that leads outside/);
    expect(() => run({ command: 'view', path: 'linkdir/secret' })).toThrow(/symbolic link that leads outside/);
    expect(() => run({ command: 'create', path: 'linkdir/new', file_text: 'x' })).toThrow(/symbolic link that leads outside/);
    expect(() => run({ command: 'view', path: 'up' })).toThrow(/symbolic link that leads outside/);
    expect(fs.existsSync(path.join(outside, 'new'))).toBe(false);
    fs.rmSync(outside, { recursive: true });
  });

  it('never writes through a symlink, even one pointing inside', () => {
    fs.symlinkSync('src/a.js', path.join(root, 'alias.js'));
    expect(() => run({ command: 'create', path: 'alias.js', file_text: 'x' })).toThrow(/writes never follow links/);
    expect(read('src/a.js')).toContain('const a = 1;');
  });

  it('refuses hard links (they can alias a file outside)', () => {
    fs.linkSync(path.join(root, 'src/a.js'), path.join(root, 'hard.js'));
    expect(() => run({ command: 'view', path: 'hard.js' })).toThrow(/hard link/);
  });

  it.each(['.github/workflows/ci.yml', '.GitHub/Workflows/ci.yml', '.github/actions/x/action.yml', 'CODEOWNERS', '.gitmodules', '.gitattributes', 'sub/.gitattributes', '.husky/pre-commit', '.github/taskcap.yml'])(
    'refuses writes to protected %s but allows reading it',
    (p) => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), 'original\n');
      expect(() => run({ command: 'create', path: p, file_text: 'evil' })).toThrow(/protected path/);
      expect(() => run({ command: 'str_replace', path: p, old_str: 'original', new_str: 'evil' })).toThrow(/protected path/);
      expect(run({ command: 'view', path: p }).text).toContain('original');
    },
  );
});

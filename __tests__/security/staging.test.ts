// Publication against everything an agent can leave in the workspace (issue 11, 2-3): taskcap stages, commits and
// pushes from its own repository, so no plumbing file, config, hook, index or ref of the workspace can steer it or
// make it fail. A path that cannot be published is left out with its reason; the legitimate work always ships,
// and what is pushed is exactly the commit taskcap built and checked.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { openPublishRepo } from '../../src/publish/publish-repo.js';
import { revertSince, snapshotWorkTree } from '../../src/publish/revert-work-tree.js';
import { changedPaths, escapingLinks, showFile, startOrigin, treeOf, type Checkout, type Origin, type Published } from './publish-harness.js';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin();
}, 30_000);
afterAll(() => origin?.close());

const FIX = { 'src/app.js': 'export const answer = () => 42;\n', 'src/new-helper.js': 'export const helper = 1;\n' };
let n = 0;
const branch = () => `case-${++n}`;

/** The fix reached the branch exactly: both files, with their content, and nothing else but `alsoChanged`. */
async function expectFixDelivered(b: string, alsoChanged: string[] = []) {
  const ref = `refs/heads/taskcap/${b}`;
  expect(await showFile(origin, ref, 'src/app.js')).toBe(FIX['src/app.js']);
  expect(await showFile(origin, ref, 'src/new-helper.js')).toBe(FIX['src/new-helper.js']);
  expect(await changedPaths(origin, 'refs/heads/main', ref)).toEqual(['src/app.js', 'src/new-helper.js', ...alsoChanged].sort());
  expect(await escapingLinks(origin, ref)).toEqual([]);
}

const reasons = (p: Published) => Object.fromEntries(p.patch.dropped.map((d) => [d.path, d.reason]));
const sh = (cwd: string, script: string) => execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' } });

async function agentRun(setup: (ws: Checkout) => void | Promise<void>, opts: Parameters<Checkout['publish']>[1] = {}) {
  const ws = await origin.checkout();
  ws.write(FIX);
  await setup(ws);
  const b = branch();
  const published = await ws.publish(b, opts);
  return { ws, b, published };
}

describe('plumbing files the agent leaves cannot break staging (issue 11, 2)', () => {
  it('an invalid .gitmodules beside a nested repository: both left out with reasons, the fix pushed', async () => {
    const { b, published } = await agentRun((ws) => {
      ws.write({ '.gitmodules': '[submodule "x"\n\tpath = = =\n\turl\n[[[\n' });
      sh(ws.workspace, 'git init -q vendor/lib && echo x > vendor/lib/f && git -C vendor/lib add f && git -C vendor/lib -c user.name=a -c user.email=a@a commit -qm x');
    });
    await expectFixDelivered(b);
    expect(reasons(published)).toEqual({ '.gitmodules': 'a protected path (.gitmodules)', 'vendor/lib/': 'a nested git repository' });
  });

  it('a .gitmodules with a hostile URL at any depth, or under a name git reads as .gitmodules, is left out (GitHub would refuse the whole push)', async () => {
    const hostile = '[submodule "a"]\n\tpath = a\n\turl = -u./payload\n';
    const names = ['lib/.gitmodules', 'docs/deep/.GITMODULES', 'GITMOD~1', 'x/.gitmodules.', 'y/.gitmodules ', 'z/gi7eba~1', 'w/.git\u200cmodules'];
    const { b, published } = await agentRun((ws) => ws.write(Object.fromEntries(names.map((n) => [n, hostile]))));
    await expectFixDelivered(b);
    expect(Object.keys(reasons(published)).sort()).toEqual([...names].sort());
  });

  it('a file git reads as .gitattributes under another spelling is left out', async () => {
    const { b, published } = await agentRun((ws) => ws.write({ 'GITATT~1': '* filter=x\n', 'lib/.gitattributes::$DATA': '* eol=crlf\n' }));
    await expectFixDelivered(b);
    expect(reasons(published)).toEqual({ 'GITATT~1': 'git reads this name as .gitattributes', 'lib/.gitattributes::$DATA': 'git reads this name as .gitattributes' });
  });

  it('a submodule the agent registers in the workspace index (a gitlink) never reaches the commit', async () => {
    const { b } = await agentRun((ws) => {
      sh(ws.workspace, `git init -q sub && git -C sub -c user.name=a -c user.email=a@a commit -q --allow-empty -m x && git update-index --add --cacheinfo 160000,$(git -C sub rev-parse HEAD),sub`);
      ws.write({ '.gitmodules': '[submodule "sub"]\n\tpath = sub\n\turl = -u./payload\n' });
    });
    await expectFixDelivered(b);
    expect([...(await treeOf(origin, `refs/heads/taskcap/${b}`)).values()].filter((e) => e.startsWith('160000'))).toEqual([]);
  });

  it.each([
    ['a clean filter defined in .git/config and named by .gitattributes', '* filter=evil\n', '[filter "evil"]\n\tclean = sed s/42/666/\n\tsmudge = touch SMUDGED\n\trequired = true\n'],
    ['a long-running filter process', '* filter=proc\n', '[filter "proc"]\n\tprocess = touch PROCESS_RAN\n\trequired = true\n'],
    ['working-tree-encoding that cannot decode the file', '*.js working-tree-encoding=UTF-16LE\n', ''],
    ['eol=crlf, text and ident conversions', '* text eol=crlf ident\n', ''],
    ['a diff textconv and an external diff', '* diff=evil\n', '[diff "evil"]\n\ttextconv = touch TEXTCONV\n\tcommand = touch EXTDIFF\n'],
  ])('%s: bytes are stored as written, nothing runs', async (_name, attributes, config) => {
    const { ws, b, published } = await agentRun((w) => {
      w.write({ '.gitattributes': attributes, 'src/.gitattributes': attributes });
      if (config) fs.appendFileSync(path.join(w.workspace, '.git/config'), config);
    });
    await expectFixDelivered(b);
    expect(Object.keys(reasons(published)).sort()).toEqual(['.gitattributes', 'src/.gitattributes']);
    for (const marker of ['SMUDGED', 'PROCESS_RAN', 'TEXTCONV', 'EXTDIFF']) expect(fs.existsSync(path.join(ws.workspace, marker))).toBe(false);
  });

  it('a poisoned .git/config (fsmonitor, hooks path, worktree, proxy, insteadOf, include, bare, symlinks off) steers nothing', async () => {
    const { ws, b } = await agentRun((w) => {
      const evil = path.join(w.workspace, '..', 'evil.config');
      fs.writeFileSync(evil, '[core]\n\tfsmonitor = touch INCLUDED_MONITOR\n');
      fs.mkdirSync(path.join(w.workspace, '.githooks'));
      for (const hook of ['pre-commit', 'post-commit', 'pre-push', 'reference-transaction', 'post-index-change', 'post-checkout']) {
        fs.writeFileSync(path.join(w.workspace, '.githooks', hook), '#!/bin/sh\ntouch "$(dirname "$0")/../HOOK_RAN"\n', { mode: 0o755 });
      }
      fs.appendFileSync(
        path.join(w.workspace, '.git/config'),
        [
          '[core]',
          '\tfsmonitor = touch FSMONITOR_RAN',
          '\thooksPath = .githooks',
          `\tworktree = ${path.join(w.workspace, '..')}`,
          '\tsymlinks = false',
          '\tfileMode = false',
          '\tignoreCase = true',
          '\tautocrlf = true',
          '\tsplitIndex = true',
          '[http]',
          '\tproxy = http://127.0.0.1:9',
          `[url "http://127.0.0.1:9/"]`,
          `\tinsteadOf = ${origin.url}/`,
          '[include]',
          `\tpath = ${evil}`,
          '',
        ].join('\n'),
      );
      fs.symlinkSync('src/app.js', path.join(w.workspace, 'answer.js'));
    });
    await expectFixDelivered(b, ['.githooks/post-checkout', '.githooks/post-commit', '.githooks/post-index-change', '.githooks/pre-commit', '.githooks/pre-push', '.githooks/reference-transaction', 'answer.js']);
    // The link stayed a link and the hooks are plain files of the patch: nothing was converted, nothing ran.
    expect((await treeOf(origin, `refs/heads/taskcap/${b}`)).get('answer.js')).toMatch(/^120000 /);
    for (const marker of ['FSMONITOR_RAN', 'INCLUDED_MONITOR', 'HOOK_RAN']) expect(fs.existsSync(path.join(ws.workspace, marker))).toBe(false);
  });

  it('hooks planted in .git/hooks never run (stage, commit, the workspace moved to the commit)', async () => {
    const { ws, b } = await agentRun((w) => {
      for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'reference-transaction', 'post-index-change', 'pre-push', 'post-rewrite']) {
        fs.writeFileSync(path.join(w.workspace, '.git/hooks', hook), `#!/bin/sh\ntouch "${w.workspace}/HOOK_${hook}"\n`, { mode: 0o755 });
      }
    });
    await expectFixDelivered(b);
    expect(fs.readdirSync(ws.workspace).filter((f) => f.startsWith('HOOK_'))).toEqual([]);
  });

  it('the agent\'s own commits, a moved branch and a garbage index: the pushed commit sits on the starting commit and holds the work tree', async () => {
    const { ws, b, published } = await agentRun((w) => {
      sh(w.workspace, 'git add -A && git -c user.name=agent -c user.email=agent@example.com commit -qm "agent commit" && echo "on: push" > .github/workflows/x.yml && git add -A && git -c user.name=agent -c user.email=agent@example.com commit -qm "second"');
      fs.writeFileSync(path.join(w.workspace, '.git/index'), Buffer.from('DIRC\0\0\0\x02garbage'.repeat(50)));
    });
    await expectFixDelivered(b);
    expect((await origin.git(['rev-parse', `refs/heads/taskcap/${b}^`])).trim()).toBe(ws.startSha);
    expect(await origin.git(['log', '--format=%an', `refs/heads/main..refs/heads/taskcap/${b}`])).toBe('github-actions[bot]\n');
    expect(reasons(published)['.github/workflows/x.yml']).toMatch(/protected path/);
  });

  it('the workspace ends on the task branch at the pushed commit (as a commit in the workspace would leave it)', async () => {
    const { ws, b, published } = await agentRun(() => undefined);
    expect(await ws.git.output(['rev-parse', `refs/heads/taskcap/${b}`])).toBe(published.commit);
    expect(await ws.git.output(['symbolic-ref', 'HEAD'])).toBe(`refs/heads/taskcap/${b}`);
    expect(await ws.git.output(['status', '--porcelain'])).toBe('');
  });
});

describe('odd names, modes and file types (issue 11, 3)', () => {
  const ODD = [
    'new\nline.txt',
    'tab\there.txt',
    '-rf',
    '--help',
    'colon:star*question?.txt',
    '[brackets].txt',
    'back\\slash.txt',
    'quote"\'.txt',
    'trailing space ',
    'cafe\u0301-nfd.md',
    'caf\u00e9-nfc.md',
    'emoji-🙂.md',
    `${'n'.repeat(251)}.txt`,
    ' leading space',
    '.hidden',
    'deep/a/b/c/d/e/f/g/h/i/j/k.txt',
  ];

  it('names git can hold are pushed exactly as written', async () => {
    const { b, published } = await agentRun((ws) => ws.write(Object.fromEntries(ODD.map((f) => [f, `content of ${JSON.stringify(f)}\n`]))));
    await expectFixDelivered(b, ODD);
    expect(published.patch.dropped).toEqual([]);
    for (const f of ODD) expect(await showFile(origin, `refs/heads/taskcap/${b}`, f)).toBe(`content of ${JSON.stringify(f)}\n`);
  });

  it('names git refuses or treats as its own are left out, and GitHub\'s object checks accept the push', async () => {
    const { b, published } = await agentRun((ws) => {
      ws.write({ '.GIT/config': '[core]\n', 'sub/.Git/hooks/x': 'x', '.git. /x': 'x', 'GIT~1/x': 'x', 'a/.gIt/y': 'y' });
      fs.writeFileSync(path.join(ws.workspace, Buffer.concat([Buffer.from('latin1-'), Buffer.from([0xe9]), Buffer.from('.txt')]).toString('latin1')), 'x');
      fs.writeFileSync(Buffer.from(path.join(ws.workspace, 'bad-\xff\xfe.txt'), 'latin1'), 'x');
      fs.symlinkSync('README.md', path.join(ws.workspace, '.gitignore-link'));
      fs.mkdirSync(path.join(ws.workspace, 'lib'));
      fs.symlinkSync('../README.md', path.join(ws.workspace, 'lib/.gitignore'));
      fs.symlinkSync('../README.md', path.join(ws.workspace, 'lib/.MAILMAP'));
    });
    await expectFixDelivered(b, ['.gitignore-link', 'latin1-é.txt']);
    const r = reasons(published);
    for (const p of ['.GIT/config', 'sub/.Git/hooks/x', '.git. /x', 'GIT~1/x', 'a/.gIt/y']) expect(r[p]).toBe("its name is git's own directory");
    expect(r['lib/.gitignore']).toBe('git refuses this name as a symbolic link');
    expect(r['lib/.MAILMAP']).toBe('git refuses this name as a symbolic link');
    expect(Object.values(r)).toContain('its name is not valid UTF-8');
  });

  it('a mode change on a tracked file is left out; new files keep only the execute bit (no setuid, setgid, sticky, group bits)', async () => {
    const { b, published } = await agentRun((ws) => {
      fs.chmodSync(path.join(ws.workspace, 'scripts/build.sh'), 0o755);
      ws.write({ 'bin/tool': '#!/bin/sh\n', 'bin/plain': 'x\n', 'bin/suid': '#!/bin/sh\n' });
      fs.chmodSync(path.join(ws.workspace, 'bin/tool'), 0o775);
      fs.chmodSync(path.join(ws.workspace, 'bin/plain'), 0o666);
      fs.chmodSync(path.join(ws.workspace, 'bin/suid'), 0o7777);
    });
    await expectFixDelivered(b, ['bin/plain', 'bin/suid', 'bin/tool']);
    const tree = await treeOf(origin, `refs/heads/taskcap/${b}`);
    expect([tree.get('bin/tool')?.slice(0, 6), tree.get('bin/plain')?.slice(0, 6), tree.get('bin/suid')?.slice(0, 6), tree.get('scripts/build.sh')?.slice(0, 6)]).toEqual(['100755', '100644', '100755', '100644']);
    expect(reasons(published)['scripts/build.sh']).toBe('a mode change (100644 → 100755)');
  });

  it('an edit made together with a mode change: the edit ships with the old mode, the mode change is named as left out', async () => {
    const { b, published } = await agentRun((ws) => {
      ws.write({ 'scripts/build.sh': 'echo build --fast\n' });
      fs.chmodSync(path.join(ws.workspace, 'scripts/build.sh'), 0o755);
    });
    await expectFixDelivered(b, ['scripts/build.sh']);
    expect((await treeOf(origin, `refs/heads/taskcap/${b}`)).get('scripts/build.sh')?.slice(0, 6)).toBe('100644');
    expect(await showFile(origin, `refs/heads/taskcap/${b}`, 'scripts/build.sh')).toBe('echo build --fast\n');
    expect(reasons(published)).toEqual({ 'scripts/build.sh': 'a mode change (100644 → 100755)' });
  });

  it('FIFOs and sockets, new or in place of a tracked file, never block or break staging', async () => {
    const servers: net.Server[] = [];
    const started = Date.now();
    const { b, published } = await agentRun(async (ws) => {
      execFileSync('mkfifo', [path.join(ws.workspace, 'pipe'), path.join(ws.workspace, 'src/pipe2')]);
      fs.rmSync(path.join(ws.workspace, 'docs/guide.md'));
      execFileSync('mkfifo', [path.join(ws.workspace, 'docs/guide.md')]);
      for (const p of ['sock', 'README.md']) {
        fs.rmSync(path.join(ws.workspace, p), { force: true });
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(path.join(ws.workspace, p), resolve));
        servers.push(server);
      }
    });
    for (const s of servers) s.close();
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectFixDelivered(b);
    expect(reasons(published)).toEqual({ 'docs/guide.md': 'not a regular file (a FIFO, socket or device)', 'README.md': 'not a regular file (a FIFO, socket or device)' });
  });

  it('a file over GitHub\'s 100 MB limit (new, or a tracked one grown) is left out at once, unread; the rest is pushed', async () => {
    const started = Date.now();
    const { b, published } = await agentRun((ws) => {
      execFileSync('truncate', ['-s', '101M', path.join(ws.workspace, 'data.bin')]);
      execFileSync('truncate', ['-s', '2G', path.join(ws.workspace, 'docs/guide.md')]);
    });
    await expectFixDelivered(b);
    expect(reasons(published)).toEqual({
      'data.bin': '101 MB, over the 100 MB a file pushed to GitHub may have',
      'docs/guide.md': '2048 MB, over the 100 MB a file pushed to GitHub may have',
    });
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('files and directories in each other\'s place', () => {
  it('a protected file turned into a directory: the files in it are left out, the protected file stays', async () => {
    const { b, published } = await agentRun((ws) => {
      fs.rmSync(path.join(ws.workspace, 'CODEOWNERS'));
      ws.write({ 'CODEOWNERS/evil': '* @attacker\n' });
    });
    await expectFixDelivered(b);
    expect(await showFile(origin, `refs/heads/taskcap/${b}`, 'CODEOWNERS')).toBe('* @acme/maintainers\n');
    expect(reasons(published)).toEqual({ CODEOWNERS: 'a protected path (CODEOWNERS)', 'CODEOWNERS/evil': 'it is below CODEOWNERS, which stays a file' });
  });

  it('the workflows directory turned into a file, or .github into a link: workflows stay as they were', async () => {
    const { b, published } = await agentRun((ws) => {
      fs.rmSync(path.join(ws.workspace, '.github'), { recursive: true });
      fs.mkdirSync(path.join(ws.workspace, 'elsewhere/workflows'), { recursive: true });
      fs.writeFileSync(path.join(ws.workspace, 'elsewhere/workflows/evil.yml'), 'on: push\n');
      fs.symlinkSync('elsewhere', path.join(ws.workspace, '.github'));
    });
    await expectFixDelivered(b, ['elsewhere/workflows/evil.yml']);
    const tree = await treeOf(origin, `refs/heads/taskcap/${b}`);
    expect(tree.get('.github/workflows/ci.yml')).toBeDefined();
    expect(tree.get('.github')).toBeUndefined();
    expect(reasons(published)['.github']).toMatch(/link standing where protected files live|below|replace the directory/);
  });

  it('a source directory turned into a file: the directory\'s files are deleted and the file added, consistently', async () => {
    const { b, published } = await agentRun((ws) => {
      fs.rmSync(path.join(ws.workspace, 'src/util'), { recursive: true });
      ws.write({ 'src/util': 'now a file\n' });
    });
    await expectFixDelivered(b, ['src/util', 'src/util/slug.js']);
    expect(await showFile(origin, `refs/heads/taskcap/${b}`, 'src/util')).toBe('now a file\n');
    expect(published.patch.dropped).toEqual([]);
  });
});

describe('links followed through the whole tree (issue 11, 1)', () => {
  it.each([
    ['a chain of relative links, each harmless on its own text', [['a', '.'], ['b', 'a/..'], ['c', 'b/x']], ['a', 'b', 'c']],
    ['a deeper chain', [['d1/l1', '..'], ['d1/l2', 'l1/d1/l1/..'], ['d1/l3', 'l2/..']], ['d1/l2', 'd1/l3']],
    ['a loop of two links', [['loop1', 'loop2'], ['loop2', 'loop1']], ['loop1', 'loop2']],
    ['a link to itself', [['self', 'self']], ['self']],
    ['a chain of 41 links', Array.from({ length: 41 }, (_, i) => [`h${i}`, i === 40 ? 'README.md' : `h${i + 1}`]), Array.from({ length: 41 }, (_, i) => `h${i}`).slice(0, 1)],
    ['a link into .git through another link', [['g1', '.'], ['g2', 'g1/.git/config']], ['g1', 'g2']],
    ['a link into .GIT spelled in another case', [['g3', '.GIT/hooks']], ['g3']],
    ['an absolute link into the workspace', [['abs', '/WORKSPACE/src/app.js']], ['abs']],
    ['a dangling link that climbs once its directory exists', [['x/y', '../../missing/../..']], ['x/y']],
    ['a link onto a workflow file', [['wf.yml', '.github/workflows/ci.yml']], ['wf.yml']],
    ['a link onto the workflows directory', [['wf', '.github/workflows']], ['wf']],
    ['a link onto .github through a chain', [['gh1', 'docs/..'], ['gh2', 'gh1/.github']], ['gh1', 'gh2']],
    ['a link onto action.yml', [['act', 'action.yml']], ['act']],
  ])('%s: left out, nothing pushed that leads astray', async (_name, links, mustDrop) => {
    const { ws, b, published } = await agentRun((w) => {
      for (const [p, target] of links) {
        fs.mkdirSync(path.dirname(path.join(w.workspace, p)), { recursive: true });
        fs.symlinkSync(target.replace('/WORKSPACE', w.workspace), path.join(w.workspace, p));
      }
    });
    const r = reasons(published);
    for (const p of mustDrop) expect(r[p]).toMatch(/link/);
    const kept = links.map(([p]) => p).filter((p) => !(p in r));
    await expectFixDelivered(b, kept);
    expect(await escapingLinks(origin, `refs/heads/taskcap/${b}`)).toEqual([]);
    expect(links.some(([p]) => fs.lstatSync(path.join(ws.workspace, p)).isSymbolicLink())).toBe(true);
  });

  it('links that stay inside are pushed as links (a chain included)', async () => {
    const { b, published } = await agentRun((ws) => {
      fs.symlinkSync('src/app.js', path.join(ws.workspace, 'answer.js'));
      fs.symlinkSync('../README.md', path.join(ws.workspace, 'docs/readme.md'));
      fs.symlinkSync('docs/readme.md', path.join(ws.workspace, 'readme-alias.md'));
      fs.symlinkSync('util', path.join(ws.workspace, 'src/helpers'));
    });
    await expectFixDelivered(b, ['answer.js', 'docs/readme.md', 'readme-alias.md', 'src/helpers']);
    expect(published.patch.dropped).toEqual([]);
  });

  it('a new link that makes an existing, harmless link lead out of the repository is left out', async () => {
    const linked = await startOrigin({ ...BASE_FILES_WITH_K }, { 'k/m/x': '../d/../..' });
    try {
      const ws = await linked.checkout();
      ws.write(FIX);
      fs.rmSync(path.join(ws.workspace, 'k/d'), { recursive: true });
      fs.symlinkSync('.', path.join(ws.workspace, 'k/d'));
      const published = await ws.publish('redirect');
      expect(reasons(published)).toEqual({ 'k/d': 'it makes the existing link k/m/x lead out of the repository' });
      expect(await escapingLinks(linked, 'refs/heads/taskcap/redirect')).toEqual([]);
      // The directory's removal is the agent's work and ships; only the link in its place is left out.
      expect(await changedPaths(linked, 'refs/heads/main', 'refs/heads/taskcap/redirect')).toEqual(['k/d/keep.txt', 'src/app.js', 'src/new-helper.js']);
    } finally {
      await linked.close();
    }
  }, 30_000);
});

const BASE_FILES_WITH_K = { 'README.md': '# demo\n', 'src/app.js': 'export const answer = () => 41;\n', 'k/d/keep.txt': 'kept\n', 'k/m/readme.md': 'm\n' };

describe('what is pushed is what was built and checked (issue 11, 2)', () => {
  /** A process that keeps rewriting the workspace and git's state while taskcap pushes. */
  function tamper(ws: Checkout, b: string, extra = ''): ReturnType<typeof spawn> {
    const script = `
      cd "${ws.workspace}"
      end=$((SECONDS + 20))
      while [ $SECONDS -lt $end ]; do
        mkdir -p .github/workflows; echo "on: push" > .github/workflows/evil-$RANDOM.yml
        echo "export const answer = () => 666;" > src/app.js
        git -c user.name=x -c user.email=x@x commit -qam tampered 2>/dev/null
        git update-ref refs/heads/taskcap/${b} HEAD 2>/dev/null
        head -c 300 /dev/urandom > .git/index
        printf '[url "http://127.0.0.1:9/"]\\n\\tinsteadOf = ${origin.url}/\\n' >> .git/config
        ${extra}
      done`;
    return spawn('bash', ['-c', script], { stdio: 'ignore', detached: true });
  }

  it('refs, HEAD, index, config and the work tree rewritten over and over between commit and push: the built commit lands', async () => {
    const ws = await origin.checkout();
    ws.write(FIX);
    const b = branch();
    let child: ReturnType<typeof spawn> | undefined;
    let built = '';
    try {
      const published = await ws.publish(b, {
        between: async () => {
          built = await ws.git.output(['rev-parse', `refs/heads/taskcap/${b}`]);
          child = tamper(ws, b);
          await new Promise((r) => setTimeout(r, 700));
        },
      });
      expect(published.commit).toBe(built);
    } finally {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    }
    expect((await origin.git(['rev-parse', `refs/heads/taskcap/${b}`])).trim()).toBe(built);
    await expectFixDelivered(b);
  }, 60_000);

  it('objects and taskcap\'s own repository tampered too: the push may fail, it never lands anything else', async () => {
    const ws = await origin.checkout();
    ws.write(FIX);
    const b = branch();
    let child: ReturnType<typeof spawn> | undefined;
    let built = '';
    let failure: unknown;
    try {
      await ws.publish(b, {
        between: async (repo) => {
          built = await ws.git.output(['rev-parse', `refs/heads/taskcap/${b}`]);
          const objects = `for f in .git/objects/??/* "${repo.objects}"/??/*; do [ -f "$f" ] && chmod u+w "$f" && head -c 64 /dev/urandom > "$f"; done 2>/dev/null
            printf '[core]\\n\\tfsmonitor = touch TAMPER_RAN\\n' >> "${repo.dir}/config"`;
          child = tamper(ws, b, objects);
          await new Promise((r) => setTimeout(r, 700));
        },
      });
    } catch (e) {
      failure = e;
    } finally {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    }
    const landed = (await origin.git(['for-each-ref', '--format=%(objectname)', `refs/heads/taskcap/${b}`])).trim();
    if (failure) expect(landed).toBe('');
    else expect(landed).toBe(built);
    expect(fs.existsSync(path.join(ws.workspace, 'TAMPER_RAN'))).toBe(false);
  }, 60_000);

  it('pushes by object id: a ref, HEAD or index of the workspace moved after the commit is ignored', async () => {
    const ws = await origin.checkout();
    ws.write(FIX);
    const b = branch();
    let built = '';
    await ws.publish(b, {
      between: async () => {
        built = await ws.git.output(['rev-parse', `refs/heads/taskcap/${b}`]);
        ws.write({ '.github/workflows/evil.yml': 'on: push\n' });
        sh(ws.workspace, `git add -A && git -c user.name=x -c user.email=x@x commit -qm evil && git update-ref refs/heads/taskcap/${b} HEAD`);
      },
    });
    expect((await origin.git(['rev-parse', `refs/heads/taskcap/${b}`])).trim()).toBe(built);
    await expectFixDelivered(b);
  });
});

describe('what the test command writes is put back without running git in the workspace', () => {
  it('edits, new files, deletions, a file over a directory and a link: the tree is as the agent left it, nothing ran', async () => {
    const ws = await origin.checkout();
    ws.write({ ...FIX, 'docs/agent-note.md': 'agent\n' });
    // A filter and attributes that any checkout in the workspace would run.
    fs.appendFileSync(path.join(ws.workspace, '.git/config'), '[filter "evil"]\n\tsmudge = touch SMUDGE_RAN\n\tclean = touch CLEAN_RAN\n\trequired = true\n');
    ws.write({ '.gitattributes': '* filter=evil\n' });
    const repo = await openPublishRepo(ws.git);
    const before = await snapshotWorkTree(repo, ws.startSha);
    // The "test command":
    ws.write({ 'src/app.js': 'export const answer = () => 0; // overwritten by a snapshot update\n', 'coverage/lcov.info': 'TN:\n', 'docs/guide.md': 'rewritten\n' });
    fs.rmSync(path.join(ws.workspace, 'README.md'));
    fs.rmSync(path.join(ws.workspace, 'docs/agent-note.md'));
    fs.rmSync(path.join(ws.workspace, 'scripts'), { recursive: true });
    ws.write({ scripts: 'now a file\n' });
    fs.symlinkSync('/etc', path.join(ws.workspace, 'etc-link'));
    const putBack = await revertSince(repo, before);
    expect(putBack.sort()).toEqual(['README.md', 'coverage/lcov.info', 'docs/agent-note.md', 'docs/guide.md', 'etc-link', 'scripts', 'scripts/build.sh', 'src/app.js']);
    const read = (p: string) => fs.readFileSync(path.join(ws.workspace, p), 'utf8');
    expect([read('src/app.js'), read('README.md'), read('docs/guide.md'), read('docs/agent-note.md'), read('scripts/build.sh')]).toEqual([
      FIX['src/app.js'],
      '# demo\n',
      'How to use it.\n',
      'agent\n',
      'echo build\n',
    ]);
    expect(fs.existsSync(path.join(ws.workspace, 'coverage/lcov.info'))).toBe(false);
    expect(fs.existsSync(path.join(ws.workspace, 'etc-link'))).toBe(false);
    for (const marker of ['SMUDGE_RAN', 'CLEAN_RAN']) expect(fs.existsSync(path.join(ws.workspace, marker))).toBe(false);
    repo.dispose();
  });
});

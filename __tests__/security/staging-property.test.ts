// The partial-delivery guarantee as a property (issue 11, 3): whatever random mix of hostile plumbing an agent
// leaves beside a legitimate fix — .gitmodules, .gitattributes, nested repositories, odd names, odd modes, huge
// files, FIFOs, link chains and loops, files and directories swapped, a poisoned .git — publication never fails,
// the fix is always pushed exactly, and nothing it must not carry reaches the branch (checked by an origin that
// verifies every object, as GitHub does).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { rng } from '../../test/fuzz/capped-loop-fuzz.js';
import { BASE_FILES, PROTECTED, escapingLinks, startOrigin, treeOf, type Checkout, type Origin } from './publish-harness.js';

type Rng = ReturnType<typeof rng>;

let origin: Origin;
let mainTree: Map<string, string>;
beforeAll(async () => {
  origin = await startOrigin();
  mainTree = await treeOf(origin, 'refs/heads/main');
}, 30_000);
afterAll(() => origin?.close());

/** Paths the legitimate work touches; hostile steps never remove or replace them (that would undo the work). */
const LEGIT = ['src/app.js', 'src/feature/new-module.js', 'docs/guide.md'];
const isLegitOrAbove = (p: string) => LEGIT.some((l) => l === p || l.startsWith(`${p}/`));

const NAMES = ['x', 'lib', 'vendor', '.github', 'docs', 'a b', '-n', 'new\nline', 'café', '.GIT', 'git~1', '.git.', 'k', '..x', 'tab\t', 'emoji🙂'];
const TARGETS = ['.', '..', '../..', '.git', '.GIT/config', 'x', 'lib', '.github', '.github/workflows', 'docs/..', '/etc', 'README.md', 'action.yml', 'self', 'l0', 'l1', 'l2', 'src/../..'];

/**
 * True when every directory on the way to `rel` is a real directory (or missing): a hostile step must never write
 * through a link an earlier step planted, which could lead out of the workspace (this test runs as root).
 */
function noLinkOnTheWay(ws: string, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    try {
      const st = fs.lstatSync(path.join(ws, ...parts.slice(0, i)));
      if (!st.isDirectory()) return false;
    } catch {
      return true;
    }
  }
  return true;
}
const write = (ws: string, rel: string, content: string | Buffer) => {
  if (!noLinkOnTheWay(ws, rel)) return;
  try {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    if (fs.existsSync(path.join(ws, rel)) && !fs.lstatSync(path.join(ws, rel)).isFile()) return;
    fs.writeFileSync(path.join(ws, rel), content);
  } catch {
    /* a name the file system refuses: nothing left behind */
  }
};
const shell = (cwd: string, script: string, touches: string[] = []) => {
  if (!touches.every((t) => noLinkOnTheWay(cwd, `${t}/x`))) return;
  try {
    execFileSync('bash', ['-c', script], { cwd, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' }, timeout: 10_000 });
  } catch {
    /* a hostile step that fails is still a hostile state */
  }
};
const dir = (r: Rng) => r.pick(['', 'lib/', 'vendor/deep/', 'docs/', '.github/', 'x/y/']);

/** Hostile steps: each leaves one kind of trouble in the workspace. */
const STEPS: Record<string, (ws: string, r: Rng) => void> = {
  gitmodules: (ws, r) => write(ws, `${dir(r)}.gitmodules`, r.pick(['[submodule "x"\n\tpath = = =\n', '[submodule "a"]\n\tpath = ../../x\n\turl = -u./payload\n', '[[[\0\0', '[submodule "v"]\n\tpath = vendor\n\turl = https://evil.example/v\n'])),
  gitattributes: (ws, r) => write(ws, `${dir(r)}.gitattributes`, `* ${r.pick(['filter=evil', 'working-tree-encoding=UTF-16', 'working-tree-encoding=NOPE', 'eol=crlf', 'text', 'binary', 'ident', 'diff=x', 'merge=y'])}\n`),
  nestedRepo: (ws, r) => {
    const d = r.pick(['vendor/lib', 'x', 'docs/sub', 'lib/nested']);
    shell(ws, `d=${d}; git init -q "$d" && echo hi > "$d/f" ${r.next() < 0.5 ? '&& git -C "$d" add f && git -C "$d" -c user.name=a -c user.email=a@a commit -qm x' : ''}`, [d]);
  },
  gitFile: (ws, r) => write(ws, `${r.pick(['lib', 'x/y', 'vendor'])}/.git`, r.pick(['gitdir: /nonexistent\n', 'gitdir: ../../.git\n', 'garbage'])),
  oddName: (ws, r) => write(ws, `${dir(r)}${r.pick(NAMES)}/${r.pick(NAMES)}`, 'odd\n'),
  nonUtf8Name: (ws) => fs.writeFileSync(Buffer.from(path.join(ws, 'bin-\xff\xfe'), 'latin1'), 'x'),
  oddMode: (ws, r) => {
    const rel = r.pick(['scripts/build.sh', 'README.md', 'src/app.js', 'docs/guide.md']);
    const file = path.join(ws, rel);
    if (noLinkOnTheWay(ws, rel) && fs.existsSync(file) && fs.lstatSync(file).isFile()) fs.chmodSync(file, r.pick([0o755, 0o777, 0o4755, 0o600, 0o2700, 0o1644]));
  },
  hugeFile: (ws, r) => {
    const rel = r.pick(['big.bin', 'lib/huge.dat', 'README.md']);
    const file = path.join(ws, rel);
    if (!noLinkOnTheWay(ws, rel)) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file) || fs.lstatSync(file).isFile()) execFileSync('truncate', ['-s', r.pick(['101M', '3G']), file]);
  },
  fifo: (ws, r) => shell(ws, `mkfifo ${r.pick(['pipe', 'lib/pipe', 'CODEOWNERS.new'])} 2>/dev/null; rm -f scripts/build.sh && mkfifo scripts/build.sh`, ['lib', 'scripts']),
  linkChain: (ws, r) => {
    for (let i = 0; i < r.int(1, 4); i++) {
      const rel = r.pick(['l0', 'l1', 'l2', 'self', 'lib/l', 'x/l', 'docs/l']);
      const at = path.join(ws, rel);
      if (!noLinkOnTheWay(ws, rel)) continue;
      try {
        fs.mkdirSync(path.dirname(at), { recursive: true });
        if (!fs.existsSync(at) && !isLink(at)) fs.symlinkSync(r.pick(TARGETS), at);
      } catch {
        /* a file where a directory was wanted */
      }
    }
  },
  linkLoop: (ws) => shell(ws, 'ln -s loopb loopa; ln -s loopa loopb; ln -s . dot; ln -s dot/dot/dot/.. updot 2>/dev/null'),
  swapDirFile: (ws, r) => {
    const victim = r.pick(['scripts', 'CODEOWNERS', '.github/workflows', '.github', 'README.md', 'src/util']);
    if (isLegitOrAbove(victim) || !noLinkOnTheWay(ws, victim)) return;
    fs.rmSync(path.join(ws, victim), { recursive: true, force: true });
    if (r.next() < 0.5) write(ws, `${victim}/inside.txt`, 'now a directory\n');
    else if (r.next() < 0.5) fs.symlinkSync(r.pick(TARGETS.filter((t) => !t.startsWith('/'))), path.join(ws, victim));
    else write(ws, victim, 'now a file\n');
  },
  protectedEdits: (ws, r) => {
    write(ws, r.pick(['.github/workflows/evil.yml', 'action.yml', 'sub/action.yaml', '.husky/pre-commit', '.github/taskcap.yml', 'CODEOWNERS']), 'on: push\n');
    shell(ws, 'rm -f .github/workflows/ci.yml');
  },
  poisonGit: (ws, r) => {
    fs.appendFileSync(path.join(ws, '.git/config'), r.pick(['[core]\n\tfsmonitor = touch POISON\n', '[filter "evil"]\n\tclean = touch POISON\n\trequired = true\n', '[core]\n\tsymlinks = false\n\tfileMode = false\n', '[url "http://127.0.0.1:9/"]\n\tinsteadOf = http://\n']));
    fs.writeFileSync(path.join(ws, '.git/hooks/pre-commit'), '#!/bin/sh\ntouch POISON\n', { mode: 0o755 });
    if (r.next() < 0.5) fs.writeFileSync(path.join(ws, '.git/index'), 'garbage');
  },
  agentCommits: (ws) => shell(ws, 'git add -A 2>/dev/null; git -c user.name=a -c user.email=a@a commit -qm agent --no-verify; git update-ref refs/heads/main HEAD'),
  emptyAndDot: (ws) => shell(ws, "mkdir -p empty/dir; touch '.' 2>/dev/null; touch -- '-'; touch ' '"),
};

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** 40 seeds in the complete suite (`TASKCAP_SEEDS=full`); an even spread of 8 on `npm test`. */
const ALL_SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i * 7919);
const SEEDS = process.env.TASKCAP_SEEDS === 'full' ? ALL_SEEDS : ALL_SEEDS.filter((_, i) => i % 5 === 0);

describe('random hostile plumbing beside a fix: the fix always ships, nothing forbidden does', () => {
  it.each(SEEDS)('seed %i', async (seed) => {
    const r = rng(seed);
    const ws: Checkout = await origin.checkout();
    const legit = {
      'src/app.js': `export const answer = () => ${r.int(42, 99)};\n`,
      'src/feature/new-module.js': `export const seed = ${seed};\n`,
      'docs/guide.md': `How to use it, take ${seed}.\n`,
    };
    ws.write(legit);
    const chosen = Object.keys(STEPS).filter(() => r.next() < 0.45);
    // Order matters (a swap after a link chain differs from before it): shuffled by the seed.
    for (const name of chosen.sort(() => r.next() - 0.5)) STEPS[name](ws.workspace, r);
    // The agent's own git may have run its poison already; from here on, only taskcap's git runs.
    fs.rmSync(path.join(ws.workspace, 'POISON'), { force: true });

    const b = `prop-${seed}`;
    const published = await ws.publish(b);
    const ref = `refs/heads/taskcap/${b}`;
    const tree = await treeOf(origin, ref);

    // The fix, exactly.
    for (const [file, content] of Object.entries(legit)) {
      expect([file, (await origin.git(['cat-file', 'blob', `${ref}:${file}`]))]).toEqual([file, content]);
    }
    // Protected paths exactly as on main; no gitlink, no mode change of an existing file, no link astray.
    const protectedEntries = (t: Map<string, string>) => [...t].filter(([p]) => PROTECTED.match(p)).sort();
    expect(protectedEntries(tree)).toEqual(protectedEntries(mainTree));
    expect([...tree.values()].filter((e) => e.startsWith('160000'))).toEqual([]);
    for (const [p, e] of mainTree) if (tree.has(p)) expect([p, tree.get(p)?.slice(0, 6)]).toEqual([p, e.slice(0, 6)]);
    // And nothing outside the workspace was touched by the steps (they never write through a link).
    expect(await escapingLinks(origin, ref)).toEqual([]);
    // Nothing over GitHub's limit; everything left out says why; nothing ran.
    const sizes = (await origin.git(['ls-tree', '-r', '-l', ref])).split('\n').map((l) => Number(l.split(/\s+/)[3])).filter((n) => !Number.isNaN(n));
    expect(Math.max(0, ...sizes)).toBeLessThanOrEqual(100 * 1024 * 1024);
    for (const d of published.patch.dropped) expect(d.reason.length).toBeGreaterThan(5);
    expect(fs.existsSync(path.join(ws.workspace, 'POISON'))).toBe(false);
    // Every changed path of the branch is one the patch reported as changed.
    const changed = (await origin.git(['diff', '--name-only', '-z', '--no-renames', 'refs/heads/main', ref])).split('\0').filter(Boolean);
    for (const p of changed) expect(published.patch.changed).toContain(p);
    expect(Object.keys(legit).every((f) => published.patch.changed.includes(f))).toBe(true);
    void BASE_FILES;
  }, 60_000);
});

import { formatInt } from '../util/format.js';
import { headOf } from './instructions.js';
import type { CommitFiles, TreeFile } from './tree.js';

/**
 * A compact, deterministic picture of a repository built from git alone (no model call): the top of its tree with
 * file counts, the facts that say how to build and test it, and the head of its README. A function of the commit's
 * tree and blobs only: byte-identical for one commit, so it can sit in the cached prefix of every run on it.
 */

/**
 * Room for the map's parts, in bytes: the tree and manifests, the README's head, and the heads of the repository's
 * files. All grow when the stable prefix is filled toward the model's cache minimum.
 */
export interface MapAllowance {
  treeBytes: number;
  readmeBytes: number;
  fileHeadsBytes: number;
}

/** What a run gets when the cache minimum needs nothing more. */
export const BASE_ALLOWANCE: MapAllowance = { treeBytes: 4_000, readmeBytes: 1_500, fileHeadsBytes: 0 };
/** The most the map may take when it fills the stable prefix up to the model's cache minimum. */
export const MAX_ALLOWANCE: MapAllowance = { treeBytes: 8_000, readmeBytes: 12_000, fileHeadsBytes: 12_000 };

/** Root files listed by name at most; directories below the root listed per folder at most. */
const ROOT_FILES_SHOWN = 40;
const ROOT_DIRS_SHOWN = 60;
const CHILD_DIRS_SHOWN = 12;
const EXTENSIONS_SHOWN = 8;
const SCRIPTS_SHOWN = 25;
const TARGETS_SHOWN = 30;
/** A manifest value (a script's command line) is cut here. */
const VALUE_CHARS = 120;
/** Each file head: at most this many lines and bytes; at most this many files are looked at. */
const HEAD_LINES = 40;
const HEAD_BYTES = 2_000;
const LONG_HEAD_LINES = 400;
const LONG_HEAD_BYTES = 12_000;
const HEAD_CANDIDATES = 60;
/** Files whose head says little (lockfiles, generated or minified files, images). */
const NO_HEAD = /(^|\/)(package-lock\.json|pnpm-lock\.yaml|yarn\.lock|Cargo\.lock|poetry\.lock|uv\.lock|go\.sum|Gemfile\.lock|composer\.lock)$|\.(min\.js|map|svg|png|jpe?g|gif|ico|pdf|zip|gz|lock|woff2?|ttf)$/i;

const README_NAMES = ['README.md', 'README.rst', 'README.txt', 'README', 'Readme.md', 'readme.md'];
const LOCKFILES: [string, string][] = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lockb', 'bun'],
  ['bun.lock', 'bun'],
  ['poetry.lock', 'poetry'],
  ['uv.lock', 'uv'],
  ['Pipfile.lock', 'pipenv'],
  ['Cargo.lock', 'cargo'],
  ['go.sum', 'go modules'],
  ['Gemfile.lock', 'bundler'],
  ['composer.lock', 'composer'],
];
/** Root files whose presence alone says something about building or testing. */
const BUILD_FILES = [
  'requirements.txt',
  'requirements-dev.txt',
  'setup.py',
  'setup.cfg',
  'tox.ini',
  'noxfile.py',
  'pytest.ini',
  'Gemfile',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'CMakeLists.txt',
  'justfile',
  'Justfile',
  'Taskfile.yml',
  'deno.json',
  'deno.jsonc',
  'composer.json',
  'mix.exs',
  'Dockerfile',
  'docker-compose.yml',
  'tsconfig.json',
  '.nvmrc',
  '.node-version',
  '.python-version',
  '.tool-versions',
];

interface Dir {
  path: string;
  /** Files anywhere below. */
  files: number;
  children: Map<string, Dir>;
}

function buildDirs(files: readonly TreeFile[]): { root: Dir; rootFiles: string[] } {
  const root: Dir = { path: '', files: 0, children: new Map() };
  const rootFiles: string[] = [];
  for (const f of files) {
    const parts = f.path.split('/');
    root.files++;
    if (parts.length === 1) {
      rootFiles.push(f.path);
      continue;
    }
    let dir = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let child = dir.children.get(parts[i]);
      if (!child) {
        child = { path: parts.slice(0, i + 1).join('/'), files: 0, children: new Map() };
        dir.children.set(parts[i], child);
      }
      child.files++;
      dir = child;
    }
  }
  return { root, rootFiles };
}

/** Byte order, as git sorts: the same on every machine and locale. */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const plural = (n: number, word: string) => `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * The top of the tree: every top-level directory (with its file count) and root file, then the subdirectories of
 * the largest directories first, as far as `bytes` allows. Rendered as an indented tree in path order.
 */
/** The folder structure of a commit's files, built once (a map is rendered several times when it is filled). */
const dirsOf = new WeakMap<readonly TreeFile[], ReturnType<typeof buildDirs>>();

function treeLines(files: readonly TreeFile[], bytes: number): string[] {
  let dirs = dirsOf.get(files);
  if (!dirs) dirsOf.set(files, (dirs = buildDirs(files)));
  const { root, rootFiles } = dirs;
  const lineOf = (d: Dir, depth: number) => `${'  '.repeat(depth)}${d.path.split('/').pop()}/ (${formatInt(d.files)})`;
  const biggest = (d: Dir, n: number) => [...d.children.values()].sort((a, b) => b.files - a.files || byBytes(a.path, b.path)).slice(0, n);
  const shownOf = new Map<Dir, Dir[]>([[root, biggest(root, ROOT_DIRS_SHOWN)]]);
  const sortedFiles = [...rootFiles].sort(byBytes);
  let used = shownOf.get(root)!.reduce((n, c) => n + lineOf(c, 1).length + 1, 0);
  for (const f of sortedFiles.slice(0, ROOT_FILES_SHOWN)) used += f.length + 3;
  // Expand the biggest directories first (ties by path), one level at a time, while the lines fit.
  const frontier = [...shownOf.get(root)!];
  while (frontier.length > 0) {
    frontier.sort((a, b) => b.files - a.files || byBytes(a.path, b.path));
    const next = frontier.shift()!;
    if (next.children.size === 0) continue;
    const depth = next.path.split('/').length + 1;
    const shown = biggest(next, CHILD_DIRS_SHOWN);
    const cost = shown.reduce((n, c) => n + lineOf(c, depth).length + 1, 0) + (next.children.size > shown.length ? 40 : 0);
    if (used + cost > bytes) continue;
    used += cost;
    shownOf.set(next, shown);
    frontier.push(...shown);
  }
  const lines: string[] = [];
  const render = (d: Dir, depth: number) => {
    const shown = shownOf.get(d)!;
    for (const c of [...shown].sort((a, b) => byBytes(a.path, b.path))) {
      lines.push(lineOf(c, depth));
      if (shownOf.has(c)) render(c, depth + 1);
    }
    const hidden = d.children.size - shown.length;
    if (hidden > 0) lines.push(`${'  '.repeat(depth)}… ${plural(hidden, 'more folder')}`);
  };
  render(root, 1);
  for (const f of sortedFiles.slice(0, ROOT_FILES_SHOWN)) lines.push(`  ${f}`);
  if (sortedFiles.length > ROOT_FILES_SHOWN) lines.push(`  … ${plural(sortedFiles.length - ROOT_FILES_SHOWN, 'more file')} at the top`);
  return lines;
}

function extensionLine(files: readonly TreeFile[]): string {
  const counts = new Map<string, number>();
  for (const f of files) {
    const name = f.path.split('/').pop()!;
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? name.slice(dot).toLowerCase() : '(none)';
    counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || byBytes(a[0], b[0])).slice(0, EXTENSIONS_SHOWN);
  return `By extension: ${top.map(([e, n]) => `${e} ${formatInt(n)}`).join(', ')}.`;
}

const oneLine = (v: unknown) => {
  const s = String(v).replace(/\s+/g, ' ').trim();
  return s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS - 1)}…` : s;
};

function packageJsonFacts(text: string): string[] {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return ['package.json: not valid JSON'];
  }
  if (!pkg || typeof pkg !== 'object') return [];
  const facts: string[] = [];
  const head = [
    typeof pkg.name === 'string' ? `name ${oneLine(pkg.name)}` : undefined,
    typeof pkg.type === 'string' ? `type ${oneLine(pkg.type)}` : undefined,
    typeof pkg.packageManager === 'string' ? `packageManager ${oneLine(pkg.packageManager)}` : undefined,
    pkg.engines && typeof pkg.engines === 'object' ? `engines ${oneLine(JSON.stringify(pkg.engines))}` : undefined,
    pkg.workspaces ? `workspaces ${oneLine(JSON.stringify(pkg.workspaces))}` : undefined,
  ].filter(Boolean);
  facts.push(`package.json: ${head.length ? head.join('; ') : 'no name'}`);
  if (pkg.scripts && typeof pkg.scripts === 'object') {
    const scripts = Object.entries(pkg.scripts as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
    for (const [name, command] of scripts.slice(0, SCRIPTS_SHOWN)) facts.push(`  npm run ${oneLine(name)}: ${oneLine(command)}`);
    if (scripts.length > SCRIPTS_SHOWN) facts.push(`  … ${plural(scripts.length - SCRIPTS_SHOWN, 'more script')}`);
  }
  return facts;
}

/** A few facts from a TOML manifest without a TOML parser: its tables, and some `key = value` lines. */
function tomlFacts(file: string, text: string, keys: readonly string[]): string[] {
  const tables: string[] = [];
  const values: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const table = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (table) {
      if (tables.length < 20 && !tables.includes(table[1])) tables.push(table[1]);
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(.+)$/.exec(line);
    if (kv && keys.includes(kv[1]) && values.length < 12) values.push(`${kv[1]} = ${oneLine(kv[2])}`);
  }
  const parts = [...values, ...(tables.length ? [`tables [${tables.join('], [')}]`] : [])];
  return parts.length ? [`${file}: ${parts.join('; ')}`] : [];
}

function goModFacts(text: string): string[] {
  const module = /^module\s+(\S+)/m.exec(text)?.[1];
  const go = /^go\s+(\S+)/m.exec(text)?.[1];
  const parts = [module && `module ${oneLine(module)}`, go && `go ${oneLine(go)}`].filter(Boolean);
  return parts.length ? [`go.mod: ${parts.join('; ')}`] : [];
}

function makefileFacts(file: string, text: string): string[] {
  const targets: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_./-]*)\s*:(?!=)/.exec(line);
    if (m && !targets.includes(m[1])) targets.push(m[1]);
  }
  if (targets.length === 0) return [];
  const shown = targets.slice(0, TARGETS_SHOWN);
  return [`${file} targets: ${shown.join(', ')}${targets.length > shown.length ? `, … ${formatInt(targets.length - shown.length)} more` : ''}`];
}

/** How to build and test, from the root's manifests. */
async function manifestLines(commit: CommitFiles, rootNames: ReadonlySet<string>): Promise<string[]> {
  const lines: string[] = [];
  const names = ['package.json', 'pyproject.toml', 'go.mod', 'Cargo.toml', 'Makefile', 'makefile', 'GNUmakefile'];
  const texts = await commit.readMany(names.filter((n) => rootNames.has(n)));
  const read = (() => {
    const byName = new Map(names.filter((n) => rootNames.has(n)).map((n, i) => [n, texts[i]]));
    return (name: string) => byName.get(name);
  })();
  const [pkg, pyproject, gomod, cargo] = [read('package.json'), read('pyproject.toml'), read('go.mod'), read('Cargo.toml')];
  const makefile = (['Makefile', 'makefile', 'GNUmakefile'] as const).map((n) => [n, read(n)] as const).find(([, t]) => t !== undefined);
  if (pkg !== undefined) lines.push(...packageJsonFacts(pkg));
  if (pyproject !== undefined) lines.push(...tomlFacts('pyproject.toml', pyproject, ['name', 'requires-python', 'build-backend', 'testpaths', 'addopts']));
  if (gomod !== undefined) lines.push(...goModFacts(gomod));
  if (cargo !== undefined) lines.push(...tomlFacts('Cargo.toml', cargo, ['name', 'edition', 'members', 'rust-version']));
  if (makefile) lines.push(...makefileFacts(makefile[0], makefile[1]!));
  const locks = LOCKFILES.filter(([f]) => rootNames.has(f)).map(([f, tool]) => `${f} (${tool})`);
  if (locks.length) lines.push(`Lockfiles: ${locks.join(', ')}`);
  const present = BUILD_FILES.filter((f) => rootNames.has(f));
  if (present.length) lines.push(`Also at the top: ${present.join(', ')}`);
  const workflows = commit.files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f.path)).map((f) => f.path.slice('.github/workflows/'.length));
  if (workflows.length) lines.push(`CI workflows (.github/workflows): ${workflows.slice(0, 15).join(', ')}${workflows.length > 15 ? ', …' : ''}`);
  return lines;
}

/** The `n` files nearest the root, in path order within a depth: without sorting a tree of 100,000 files. */
function shallowestFiles(files: readonly TreeFile[], n: number): TreeFile[] {
  const byDepth: TreeFile[][] = [];
  for (const f of files) {
    let depth = 0;
    for (let i = f.path.indexOf('/'); i >= 0; i = f.path.indexOf('/', i + 1)) depth++;
    (byDepth[depth] ??= []).push(f);
  }
  const out: TreeFile[] = [];
  for (const level of byDepth) {
    if (!level) continue;
    // Within a depth, git's own order (the same for every run on the commit).
    out.push(...level.slice(0, n - out.length));
    if (out.length >= n) break;
  }
  return out;
}

/**
 * The first lines of the repository's files, shallowest first (then in path order): what an agent opens first to
 * find its way, given when the stable prefix is filled toward the cache minimum. Every file gets a short head before
 * any gets a longer one, so a small repository can still fill the room with its main files.
 */
async function fileHeadLines(commit: CommitFiles, files: readonly TreeFile[], skip: ReadonlySet<string>, bytes: number): Promise<string[]> {
  if (bytes <= 0) return [];
  const shallowest = shallowestFiles(files.filter((f) => f.mode !== '120000' && !skip.has(f.path) && !NO_HEAD.test(f.path)), HEAD_CANDIDATES);
  // Large files are data, not something to orient by (and reading them costs).
  const sizes = await commit.sizes(shallowest.map((f) => f.path));
  const candidates = shallowest.filter((f) => (sizes.get(f.path) ?? 0) > 0 && sizes.get(f.path)! <= 200_000);
  const texts = (await commit.readMany(candidates.map((f) => f.path))).map((t) => t?.replace(/\s+$/, '').split('\n'));
  const heads = candidates.map(() => '');
  const titleBytes = (i: number) => candidates[i].path.length + 40;
  let used = 0;
  // Pass 1: a short head for every file while room lasts; pass 2: longer heads, in the same order.
  for (const [lines, maxBytes] of [
    [HEAD_LINES, HEAD_BYTES],
    [LONG_HEAD_LINES, LONG_HEAD_BYTES],
  ] as const) {
    for (const [i, text] of texts.entries()) {
      if (!text) continue;
      const before = heads[i] ? Buffer.byteLength(heads[i], 'utf8') : -titleBytes(i);
      const room = Math.min(maxBytes, bytes - used + Math.max(0, before));
      const head = headOf(text.slice(0, lines).join('\n'), room).replace(/\n$/, '');
      const grew = Buffer.byteLength(head, 'utf8') - before;
      if (head.trim() === '' || grew <= 0 || used + grew > bytes) continue;
      heads[i] = head;
      used += grew;
    }
  }
  const out: string[] = [];
  for (const [i, f] of candidates.entries()) {
    if (!heads[i]) continue;
    const total = texts[i]!.length;
    const shown = heads[i].split('\n').length;
    out.push(`--- ${f.path} (${plural(total, 'line')}${shown < total ? `; the first ${formatInt(shown)}` : ''})`, heads[i]);
  }
  return out.length ? ['Heads of files (for orientation; read a file for the rest):', ...out] : [];
}

/** What every rendering of one commit's map shares, computed once. */
interface MapBasis {
  files: readonly TreeFile[];
  rootNames: ReadonlySet<string>;
  extensions: string;
  manifests: Promise<string[]>;
}
const basisOf = new WeakMap<CommitFiles, MapBasis>();

function mapBasis(commit: CommitFiles): MapBasis {
  const files = commit.files.filter((f) => f.mode !== '160000');
  const rootNames = new Set(files.filter((f) => !f.path.includes('/')).map((f) => f.path));
  return { files, rootNames, extensions: extensionLine(files), manifests: manifestLines(commit, rootNames) };
}

export interface RepoMap {
  /** The map's lines (tree, extensions, manifests, nested instructions, README head). */
  text: string;
  readme?: { path: string; shownBytes: number; bytes: number };
  files: number;
}

/**
 * The map of `commit` within `allowance`; `nested` lists instruction files deeper in the tree. Instruction files
 * (`instructionFiles`, and the nested ones) never appear among the heads of files: they have their own block.
 */
export async function buildRepoMap(commit: CommitFiles, allowance: MapAllowance, nested: readonly string[] = [], instructionFiles: readonly string[] = []): Promise<RepoMap> {
  let basis = basisOf.get(commit);
  if (!basis) basisOf.set(commit, (basis = mapBasis(commit)));
  const { files, rootNames, extensions } = basis;
  const manifests = await basis.manifests;
  const manifestBytes = manifests.reduce((n, l) => n + Buffer.byteLength(l, 'utf8') + 1, 0);
  const lines = [`Files: ${formatInt(files.length)} tracked. ${extensions}`, 'Top of the tree (folder/ (files below it)):'];
  lines.push(...treeLines(files, Math.max(600, allowance.treeBytes - manifestBytes)));
  if (manifests.length) lines.push('Build and test facts:', ...manifests.map((l) => `  ${l}`));
  if (nested.length) lines.push('Instruction files deeper in the tree (read the one for the folder you change):', ...nested.map((p) => `  ${p}`));
  const readmeName = README_NAMES.find((n) => rootNames.has(n));
  const readmeText = readmeName ? await commit.read(readmeName) : undefined;
  const summarized = new Set(['package.json', 'pyproject.toml', 'go.mod', 'Cargo.toml', 'Makefile', 'makefile', 'GNUmakefile', ...(readmeName ? [readmeName] : []), ...nested, ...instructionFiles]);
  const heads = await fileHeadLines(commit, files, summarized, allowance.fileHeadsBytes);
  let readme: RepoMap['readme'];
  if (readmeName && readmeText !== undefined && readmeText.trim() !== '') {
    const body = readmeText.replace(/\s+$/, '');
    const shown = headOf(body, allowance.readmeBytes).replace(/\s+$/, '');
    const size = Buffer.byteLength(body, 'utf8');
    const shownBytes = Buffer.byteLength(shown, 'utf8');
    lines.push(`${readmeName}${shownBytes < size ? ` (the first ${formatInt(shownBytes)} of ${formatInt(size)} bytes)` : ''}:`, shown);
    readme = { path: readmeName, shownBytes, bytes: size };
  }
  lines.push(...heads);
  return { text: lines.join('\n'), readme, files: files.length };
}

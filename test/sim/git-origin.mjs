// A GitHub-like git origin for tests: bare repos served over smart HTTP by `git http-backend`,
// behind a small node wrapper that demands the header actions/checkout persists
// (`AUTHORIZATION: basic base64("x-access-token:<token>")`). Pointing GITHUB_SERVER_URL at it
// lets the action build the same remote URL, and push with the same credentials, as on GitHub.
//
// Also: `makeBareRepo` (deterministic fixture repos) and `gitIn` (hermetic git invocations).

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

// ---------------------------------------------------------------------------------------------
// Hermetic git
// ---------------------------------------------------------------------------------------------

/** @type {string | undefined} */
let sharedHome;
/**
 * A HOME with no git config, so the developer's global config never leaks into tests. One fixed
 * directory is shared by every process (jest workers don't run exit hooks, so per-process temp
 * dirs would pile up); any global git config found there at first use is removed.
 */
export function hermeticHome() {
  if (!sharedHome) {
    sharedHome = path.join(os.tmpdir(), 'taskcap-sim-git-home');
    fs.mkdirSync(sharedHome, { recursive: true });
    fs.rmSync(path.join(sharedHome, '.gitconfig'), { force: true });
    fs.rmSync(path.join(sharedHome, '.config'), { recursive: true, force: true });
  }
  return sharedHome;
}

/**
 * The environment every simulator git process runs with: built from scratch (no inherited GIT_*
 * variables), English messages, no system config, and never a terminal prompt for credentials.
 * @param {Record<string, string | undefined>} [extra]
 * @returns {Record<string, string>}
 */
export function gitEnv(extra = {}) {
  /** @type {Record<string, string>} */
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: hermeticHome(),
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * @typedef {object} GitResult
 * @property {number} code
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * Runs git without a shell. Resolves even when git fails.
 * @param {string} dir cwd
 * @param {string[]} args
 * @param {Record<string, string | undefined>} [env] added to (or, with undefined, removed from) the hermetic env
 * @param {string | Buffer} [input] written to stdin
 * @returns {Promise<GitResult>}
 */
export function gitTry(dir, args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: dir, env: gitEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */ const out = [];
    /** @type {Buffer[]} */ const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {}); // git may exit before reading stdin
    child.stdin.end(input ?? '');
  });
}

/**
 * Runs git without a shell in a hermetic env (temp HOME, GIT_CONFIG_NOSYSTEM=1, GIT_TERMINAL_PROMPT=0).
 * Rejects on a non-zero exit with an Error carrying `code`, `stdout`, `stderr`.
 * @param {string} dir cwd
 * @param {string[]} args
 * @param {Record<string, string | undefined>} [env]
 * @returns {Promise<GitResult>}
 */
export async function gitIn(dir, args, env) {
  const result = await gitTry(dir, args, env);
  if (result.code !== 0) {
    const error = /** @type {Error & GitResult} */ (
      new Error(`git ${args.join(' ')} (in ${dir}) exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`)
    );
    Object.assign(error, result);
    throw error;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Fixture repos
// ---------------------------------------------------------------------------------------------

/** 2026-01-01T00:00:00Z; every fixture commit is one minute after the previous one. */
const EPOCH = 1767225600;
/** @param {number} step */
function identityEnv(step) {
  const date = `${EPOCH + 60 * step} +0000`;
  return {
    GIT_AUTHOR_NAME: 'Sim Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: 'Sim Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    GIT_COMMITTER_DATE: date,
  };
}

/**
 * @typedef {object} ExtraRef
 * @property {string} ref                 full ref name, e.g. 'refs/heads/feature', 'refs/pull/1/head'
 * @property {string} [from]              parent ref or sha (default: the default branch)
 * @property {Record<string, string | null>} [files]  files to write (null deletes) on top of the parent's tree
 * @property {string} [message]           commit message; without files and message the ref just points at `from`
 * @property {[string, string]} [merge]   make a merge commit of these two refs/shas (like refs/pull/N/merge)
 */

/**
 * Writes `files` into the index named by env.GIT_INDEX_FILE.
 * @param {string} gitDir @param {Record<string, string | null>} files @param {Record<string, string>} env
 */
async function applyFiles(gitDir, files, env) {
  for (const [file, content] of Object.entries(files)) {
    if (content === null) {
      await gitIn(gitDir, ['update-index', '--force-remove', '--', file], env);
      continue;
    }
    const oid = (await gitTry(gitDir, ['hash-object', '-w', '--stdin'], env, content)).stdout.trim();
    await gitIn(gitDir, ['update-index', '--add', '--cacheinfo', `100644,${oid},${file}`], env);
  }
}

/**
 * Creates `root/owner/repo.git`: the files of `fromDir` (and/or `files`) as one initial commit on
 * the default branch, plus optional extra refs. Authors and dates are fixed, so shas are stable.
 * @param {{ root: string, owner: string, repo: string, fromDir?: string, files?: Record<string, string>,
 *   defaultBranch?: string, extraRefs?: ExtraRef[] }} options
 * @returns {Promise<{ gitDir: string, sha: string, refs: Record<string, string> }>}
 */
export async function makeBareRepo({ root, owner, repo, fromDir, files, defaultBranch = 'main', extraRefs = [] }) {
  const gitDir = path.join(root, owner, `${repo}.git`);
  await fsp.mkdir(path.dirname(gitDir), { recursive: true });
  await gitIn(path.dirname(gitDir), ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, gitDir]);

  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'sim-index-'));
  try {
    let step = 0;
    /** A fresh temporary index per commit, so nothing is left in the bare repo. */
    const indexEnv = () => ({ ...identityEnv(step), GIT_INDEX_FILE: path.join(scratch, `index-${step}`) });

    // Initial commit
    let env = indexEnv();
    if (fromDir) await gitIn(fromDir, [`--git-dir=${gitDir}`, `--work-tree=${fromDir}`, 'add', '--all', '.'], env);
    if (files) await applyFiles(gitDir, files, env);
    const tree = (await gitIn(gitDir, ['write-tree'], env)).stdout.trim();
    const sha = (await gitIn(gitDir, ['commit-tree', tree, '-m', 'Initial commit'], env)).stdout.trim();
    await gitIn(gitDir, ['update-ref', `refs/heads/${defaultBranch}`, sha]);
    /** @type {Record<string, string>} */
    const refs = { [`refs/heads/${defaultBranch}`]: sha };

    /** @param {string} name */
    const resolve = async (name) =>
      refs[name] ?? refs[`refs/heads/${name}`] ?? (await gitIn(gitDir, ['rev-parse', '--verify', `${name}^{commit}`])).stdout.trim();

    for (const spec of extraRefs) {
      step += 1;
      env = indexEnv();
      let commit;
      if (spec.merge) {
        const [a, b] = await Promise.all(spec.merge.map(resolve));
        // Like GitHub's test merge: the tree of merging head into base (must be conflict-free).
        const merged = await gitIn(gitDir, ['merge-tree', '--write-tree', a, b], env);
        const mergedTree = merged.stdout.split('\n')[0].trim();
        const message = spec.message ?? `Merge ${b} into ${a}`;
        commit = (await gitIn(gitDir, ['commit-tree', mergedTree, '-p', a, '-p', b, '-m', message], env)).stdout.trim();
      } else {
        const parent = await resolve(spec.from ?? `refs/heads/${defaultBranch}`);
        if (!spec.files && !spec.message) {
          commit = parent;
        } else {
          await gitIn(gitDir, ['read-tree', parent], env);
          if (spec.files) await applyFiles(gitDir, spec.files, env);
          const t = (await gitIn(gitDir, ['write-tree'], env)).stdout.trim();
          commit = (await gitIn(gitDir, ['commit-tree', t, '-p', parent, '-m', spec.message ?? `Update ${spec.ref}`], env)).stdout.trim();
        }
      }
      await gitIn(gitDir, ['update-ref', spec.ref, commit]);
      refs[spec.ref] = commit;
    }
    return { gitDir, sha, refs };
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * All refs of a repo, as { refname: sha }.
 * @param {string} gitDir
 * @returns {Promise<Record<string, string>>}
 */
export async function listRefs(gitDir) {
  const { stdout } = await gitIn(gitDir, ['for-each-ref', '--format=%(objectname) %(refname)']);
  /** @type {Record<string, string>} */
  const refs = {};
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name) refs[name] = sha;
  }
  return refs;
}

// ---------------------------------------------------------------------------------------------
// The smart-HTTP server
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {object} Push
 * @property {string} repo    'owner/repo'
 * @property {{ ref: string, before: string | null, after: string | null }[]} refs  refs the push changed
 *   (empty when every update was rejected)
 */
/**
 * @typedef {object} OriginRequest
 * @property {string} method
 * @property {string} url
 * @property {boolean} authorized
 * @property {number} status
 * @property {string} [gitProtocol]      the Git-Protocol header ('version=2' for protocol v2)
 * @property {string} [contentEncoding]  'gzip' when git compressed the request body
 * @property {string} [backendStderr]
 */
/**
 * @typedef {object} GitOrigin
 * @property {string} url                 http://127.0.0.1:<port>; repos at <url>/<owner>/<repo>(.git)
 * @property {Push[]} pushes
 * @property {OriginRequest[]} requests   every HTTP request, with the status it got
 * @property {(deny?: boolean) => void} denyPushes  answer pushes 403 from now on, as GitHub does for a token
 *   without `contents: write` (reads still work)
 * @property {() => Promise<void>} close
 */

/**
 * Checks `Authorization: basic base64("x-access-token:" + token)`, scheme case-insensitive
 * (checkout writes `basic`, a credential helper would send `Basic`).
 * @param {string | undefined} header @param {string} token
 */
function authorized(header, token) {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return Buffer.from(m[1], 'base64').toString('utf8') === `x-access-token:${token}`;
}

/**
 * Serves every bare repo under `root` (laid out as root/<owner>/<repo>.git) over smart HTTP.
 * @param {{ token: string, root: string }} options
 * @returns {Promise<GitOrigin>}
 */
export async function startGitOrigin({ token, root }) {
  /** @type {Push[]} */
  const pushes = [];
  /** @type {OriginRequest[]} */
  const requests = [];
  let pushesDenied = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    /** @type {OriginRequest} */
    const entry = { method: req.method ?? '', url: url.pathname + url.search, authorized: false, status: 0 };
    if (req.headers['git-protocol']) entry.gitProtocol = String(req.headers['git-protocol']);
    if (req.headers['content-encoding']) entry.contentEncoding = String(req.headers['content-encoding']);
    requests.push(entry);
    /** @param {number} status @param {string} message @param {Record<string, string>} [headers] */
    const reply = (status, message, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(`${message}\n`);
    };

    const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?(\/.*)$/.exec(url.pathname);
    const gitDir = m ? path.join(root, m[1], `${m[2]}.git`) : '';
    if (!m || m[1].startsWith('.') || m[2].startsWith('.') || !fs.existsSync(path.join(gitDir, 'HEAD'))) {
      req.resume();
      return reply(404, 'Repository not found.');
    }
    const [, owner, repo, rest] = m;

    entry.authorized = authorized(req.headers.authorization, token);
    if (!entry.authorized) {
      req.resume();
      return reply(401, 'Authentication required.', { 'www-authenticate': 'Basic realm="sim-git-origin"' });
    }

    if (pushesDenied && (rest === '/git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack')) {
      req.resume();
      return reply(403, `Permission to ${owner}/${repo}.git denied to github-actions[bot].`);
    }

    const isPush = req.method === 'POST' && rest === '/git-receive-pack';
    // Pause the body until we know the refs before a push, then stream it to the CGI.
    req.pause();
    (async () => {
      const before = isPush ? await listRefs(gitDir) : null;

      /** @type {Record<string, string | undefined>} */
      const cgi = {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${owner}/${repo}.git${rest}`,
        REQUEST_METHOD: req.method,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        // Without CONTENT_LENGTH (chunked uploads) http-backend reads the body to EOF.
        CONTENT_LENGTH: req.headers['content-length'],
        // http-backend inflates gzip request bodies itself when told the encoding.
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'],
        // Protocol v2 is negotiated through this header.
        GIT_PROTOCOL: /** @type {string | undefined} */ (req.headers['git-protocol']),
        // An authenticated user enables receive-pack (push).
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
        GATEWAY_INTERFACE: 'CGI/1.1',
        SERVER_PROTOCOL: 'HTTP/1.1',
      };
      const child = spawn('git', ['http-backend'], { env: gitEnv(cgi), stdio: ['pipe', 'pipe', 'pipe'] });
      /** @type {Buffer[]} */
      const stderr = [];
      child.stderr.on('data', (c) => stderr.push(c));
      child.stdin.on('error', () => {});
      req.pipe(child.stdin);
      req.resume();

      // CGI output: header lines, a blank line, then the body.
      let head = Buffer.alloc(0);
      let headersSent = false;
      child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
        if (headersSent) {
          if (!res.write(chunk)) {
            child.stdout.pause();
            res.once('drain', () => child.stdout.resume());
          }
          return;
        }
        head = Buffer.concat([head, chunk]);
        const text = head.toString('latin1');
        const crlf = text.indexOf('\r\n\r\n');
        const lf = text.indexOf('\n\n');
        const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
        if (end < 0) return;
        let status = 200;
        /** @type {Record<string, string>} */
        const headers = {};
        for (const line of text.slice(0, end).split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const name = line.slice(0, i).trim();
          const value = line.slice(i + 1).trim();
          if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
          else headers[name] = value;
        }
        entry.status = status;
        res.writeHead(status, headers);
        headersSent = true;
        const body = head.subarray(end);
        if (body.length) res.write(body);
      });

      child.on('close', async () => {
        entry.backendStderr = Buffer.concat(stderr).toString('utf8');
        if (!headersSent) {
          entry.status = 502;
          res.writeHead(502, { 'content-type': 'text/plain' });
        }
        // Record the push before the response ends, so a test that awaits `git push` sees it.
        if (before) {
          const after = await listRefs(gitDir);
          const names = new Set([...Object.keys(before), ...Object.keys(after)]);
          const changed = [...names]
            .filter((ref) => before[ref] !== after[ref])
            .sort()
            .map((ref) => ({ ref, before: before[ref] ?? null, after: after[ref] ?? null }));
          pushes.push({ repo: `${owner}/${repo}`, refs: changed });
        }
        res.end();
      });
    })().catch((err) => {
      entry.status = 500;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sim git origin error: ${err?.message ?? err}\n`);
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    requests,
    denyPushes(deny = true) {
      pushesDenied = deny;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

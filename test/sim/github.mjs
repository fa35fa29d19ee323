// @ts-check
/**
 * A stateful fake of the GitHub REST API for offline tests, the demo and the benchmark.
 *
 * Every request is routed and validated (path, query, body) against GitHub's own OpenAPI
 * description (a subset committed in ./openapi, cut by scripts/gen-openapi-subset.mjs), and
 * every response body the fake produces is validated against the operation's response
 * schema before it is sent. Anything that does not conform is recorded in `violations`, so a
 * test that ends with `expect(fake.violations).toEqual([])` proves the code under test only
 * spoke GitHub's API as GitHub describes it.
 *
 * Git data (branches, heads, file contents) is not simulated: it is read with the git CLI
 * from a bare repository (`originDir`), the same one the git fake serves, so pushing to it
 * moves branch heads and PR heads as on GitHub.
 *
 * Layout of this file:
 *   1. the OpenAPI engine: openapi-backend over the subset, in a worker thread shared by every
 *      fake in the process (validators are compiled lazily there, once)
 *   2. git access
 *   3. resource builders: state records -> schema-shaped JSON
 *   4. handlers, one per operationId
 *   5. the HTTP server and its request pipeline
 */
import http from 'node:http';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

/**
 * @typedef {'admin'|'maintain'|'write'|'triage'|'read'|'none'} Permission
 *
 * @typedef {object} SeedIssue
 * @property {number} number
 * @property {string} title
 * @property {string|null} [body]
 * @property {string[]} [labels]
 * @property {string} [user]
 * @property {'open'|'closed'} [state]
 * @property {string} [createdAt]       ISO time (default: when the fake started); issues list oldest first by it
 * @property {Record<string, string>} [labeledBy]  label -> login of who added it (default: the issue's author)
 *
 * @typedef {object} SeedPull
 * @property {number} number
 * @property {string} title
 * @property {string|null} [body]
 * @property {string} head branch name (in the fork for fork PRs)
 * @property {string} [base] defaults to the default branch
 * @property {string} [user]
 * @property {boolean} [draft]
 * @property {'open'|'closed'} [state]
 * @property {string[]} [labels]
 * @property {string} [headRepoFullName] "forker/Hello-World" for a PR from a fork
 * @property {string} [headSha] head commit when no ref in originDir has it (fork PRs
 *   otherwise read refs/pull/<n>/head)
 *
 * @typedef {object} SeedComment
 * @property {number} issueNumber
 * @property {string} body
 * @property {string} [user]
 * @property {number} [id]
 *
 * @typedef {object} SeedReview
 * @property {number} pullNumber
 * @property {number} [id]
 * @property {string} [user]
 * @property {string} [body]
 * @property {'COMMENTED'|'APPROVED'|'CHANGES_REQUESTED'|'DISMISSED'|'PENDING'} [state]
 * @property {string} [commitId]
 *
 * @typedef {object} SeedReviewComment
 * @property {number} pullNumber
 * @property {string} path
 * @property {number|null} [line]
 * @property {string} [diffHunk]
 * @property {string} body
 * @property {string} [user]
 * @property {number} [id]
 * @property {number} [reviewId] created (COMMENTED, by `user`) when it does not exist
 * @property {number} [inReplyTo]
 * @property {string} [commitId] defaults to the PR head
 *
 * @typedef {object} SeedLabel
 * @property {string} name
 * @property {string} [color]
 * @property {string|null} [description]
 *
 * @typedef {object} FakeGitHubOptions
 * @property {string} [owner]           default 'Codertocat'
 * @property {string} [repo]            default 'Hello-World'
 * @property {string} [defaultBranch]   default 'main'
 * @property {'User'|'Organization'} [ownerType] default 'User'
 * @property {string} originDir         bare git repository holding the repository's git data
 * @property {Record<string, Permission|number>} [permissions] login -> permission, or an HTTP
 *   status to fail with. The owner is 'admin' unless listed. Unlisted logins answer 404.
 * @property {string} [selfLogin]       the token's identity; default 'github-actions[bot]'
 * @property {string} [serverUrl]       base of html_url fields; default 'https://github.com'
 * @property {SeedIssue[]} [issues]
 * @property {SeedPull[]} [pulls]
 * @property {SeedComment[]} [comments]
 * @property {SeedReview[]} [reviews]
 * @property {SeedReviewComment[]} [reviewComments]
 * @property {SeedLabel[]} [labels]     repository labels (labels used by seeds are added)
 * @property {string[]} [mock]          operationIds to answer with the spec's (fixed-up)
 *   example instead of state; operations without a handler are always answered that way
 * @property {number} [port]            default 0 (any free port)
 *
 * @typedef {object} Call
 * @property {string|null} operationId  null when no operation matched
 * @property {string} method            upper case
 * @property {string} path              URL path as sent (still percent-encoded)
 * @property {Record<string, string>} query
 * @property {any} body                 parsed JSON body, or undefined
 * @property {number} status            response status (0 until answered)
 * @property {string|undefined} auth    the authorization header
 * @property {Record<string, string>} params  decoded path parameters
 * @property {http.IncomingHttpHeaders} headers
 * @property {number} at                arrival time (ms since the epoch)
 *
 * @typedef {object} FailureSpec
 * @property {number} [status]   default 500
 * @property {Record<string, string>} [headers]
 * @property {any} [body]        object (sent as JSON) or string; defaults to GitHub's message
 * @property {number} [times]    default 1
 *
 * @typedef {object} IssueRecord
 * @property {number} number
 * @property {number} id
 * @property {string} title
 * @property {string|null} body
 * @property {string[]} labels          label names, shared with the PullRecord for PRs
 * @property {string} user
 * @property {'open'|'closed'} state
 * @property {boolean} isPullRequest
 * @property {string} createdAt
 * @property {string} updatedAt
 * @property {string|null} closedAt
 *
 * @typedef {object} PullRecord
 * @property {number} number
 * @property {number} id                the pull request id (the issue has its own)
 * @property {string} title
 * @property {string|null} body
 * @property {string[]} labels
 * @property {'open'|'closed'} state
 * @property {string} user
 * @property {string} head              branch name
 * @property {string} base
 * @property {string} headRepoFullName  equals the repository's full name unless a fork
 * @property {string} headSha           last known head; re-read from originDir on reads
 * @property {boolean} draft
 * @property {boolean} maintainerCanModify
 * @property {string} createdAt
 * @property {string} updatedAt
 * @property {string|null} closedAt
 *
 * @typedef {object} CommentRecord
 * @property {number} id
 * @property {number} issueNumber
 * @property {string} body
 * @property {string} user
 * @property {string} createdAt
 * @property {string} updatedAt
 *
 * @typedef {object} ReviewRecord
 * @property {number} id
 * @property {number} pullNumber
 * @property {string} user
 * @property {string} body
 * @property {string} state
 * @property {string|null} commitId
 * @property {string} submittedAt
 *
 * @typedef {object} ReviewCommentRecord
 * @property {number} id
 * @property {number} pullNumber
 * @property {number} reviewId
 * @property {string} path
 * @property {number|null} line
 * @property {string} diffHunk
 * @property {string} body
 * @property {string} user
 * @property {number|null} inReplyTo   id of the thread's first comment
 * @property {string} commitId
 * @property {string} createdAt
 * @property {string} updatedAt
 *
 * @typedef {'issue'|'issue_comment'|'pull_request_review_comment'} ReactionSubject
 * @typedef {object} ReactionRecord
 * @property {number} id
 * @property {ReactionSubject} subject
 * @property {number} subjectId   issue number, or comment id
 * @property {string} content
 * @property {string} user
 * @property {string} createdAt
 *
 * @typedef {object} LabelRecord
 * @property {number} id
 * @property {string} name
 * @property {string} color
 * @property {string|null} description
 * @property {boolean} default
 *
 * @typedef {object} FakeState
 * @property {IssueRecord[]} issues     includes the issue side of every PR
 * @property {PullRecord[]} pulls
 * @property {CommentRecord[]} comments
 * @property {ReviewRecord[]} reviews
 * @property {ReviewCommentRecord[]} reviewComments
 * @property {ReactionRecord[]} reactions
 * @property {LabelRecord[]} labels     repository labels
 * @property {EventRecord[]} events     issue events (labeled), for issues/list-events
 *
 * @typedef {object} EventRecord
 * @property {number} id
 * @property {number} issueNumber
 * @property {'labeled'} event
 * @property {string} label
 * @property {string} actor
 * @property {string} createdAt
 *
 * @typedef {object} FakeGitHub
 * @property {string} url               use as GITHUB_API_URL / Octokit baseUrl
 * @property {string} serverUrl
 * @property {string} owner
 * @property {string} repo
 * @property {number} repoId
 * @property {Call[]} calls             every request, in arrival order
 * @property {string[]} violations      spec violations; tests assert this is empty
 * @property {() => Call[]} writes      calls whose method is not GET
 * @property {FakeState} state          live state
 * @property {(operationId: string, spec?: FailureSpec) => void} failNext
 * @property {() => Promise<void>} close
 */

// ---------------------------------------------------------------------------------------
// 1. The OpenAPI engine (openapi-backend, in a worker thread)
// ---------------------------------------------------------------------------------------
//
// openapi-backend 5.21.2 require()s @apidevtools/json-schema-ref-parser@16 when it loads.
// That package is ESM-only: node >= 20.19 can require() it, jest's module loader cannot
// ("Must use import to load ES Module"), and quick mode never even calls it. So the engine
// runs in a worker thread, where node's own loader is in charge, in jest and in plain node
// alike. The worker is shared by every fake in the process: validators are compiled lazily
// there (0.1-0.4 s per operation, once) and reused.

export const SPEC_PATH = fileURLToPath(new URL('./openapi/api.github.com.subset.json', import.meta.url));
const WORKER_ROLE = 'taskcap-sim-openapi-engine';

/**
 * Adjusts GitHub's description, in memory, so that it compiles and its examples validate.
 * The committed subset stays a faithful cut of the published file.
 * @param {any} doc an OpenAPI document (mutated)
 * @returns {any} the same document
 */
export function applySpecFixups(doc) {
  /** @param {any} node @returns {any} */
  const fixNullable = (node) => {
    if (Array.isArray(node)) return node.map(fixNullable);
    if (!node || typeof node !== 'object') return node;
    for (const k of Object.keys(node)) node[k] = fixNullable(node[k]);
    // `nullable: true` with an `enum` that lacks null (issue.state_reason, ...): OpenAPI 3.0.3
    // says the enum must list null explicitly, so Ajv rejects the null GitHub really sends.
    if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
    // `nullable: true` next to oneOf/anyOf but without `type` (commit.author, commit.committer,
    // issue-field-value.value). Ajv refuses to compile it ('"nullable" cannot be used without
    // "type"'), which is also why openapi-backend's non-quick mode fails on the full
    // description. Same meaning, expressed as a union with null.
    if (node.nullable === true && !('type' in node) && !('$ref' in node)) {
      const { nullable: _nullable, description, ...rest } = node;
      return { ...(description ? { description } : {}), anyOf: [rest, { type: 'null' }] };
    }
    return node;
  };
  doc.components = fixNullable(doc.components ?? {});
  for (const item of Object.values(doc.paths ?? {})) fixNullable(item);

  // issues/get lists its examples as {summary, value: {$ref: <Example Object>}}: the ref
  // belongs one level up, otherwise the example served is {value, x-github-breaking-changes}.
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(/** @type {Record<string, any>} */ (item))) {
      for (const response of Object.values(op?.responses ?? {})) {
        for (const media of Object.values(/** @type {any} */ (response).content ?? {})) {
          for (const [name, example] of Object.entries(/** @type {any} */ (media).examples ?? {})) {
            const ref = example?.value?.$ref;
            if (typeof ref === 'string' && ref.startsWith('#/components/examples/')) media.examples[name] = { $ref: ref };
          }
        }
      }
    }
  }

  // The spec's own examples predate some required fields. They are only served for
  // operations answered by mock (see the `mock` option), but then they must validate too.
  const ex = doc.components.examples ?? {};
  /** @param {any} repo */
  const fixRepo = (repo) => {
    if (repo && typeof repo === 'object' && !('language' in repo)) repo.language = null;
  };
  const fullRepo = ex['full-repository-default-response']?.value;
  if (fullRepo) [fullRepo, fullRepo.source, fullRepo.parent].forEach(fixRepo);
  const perm = ex['repository-collaborator-permission-response-if-user-has-admin-permissions']?.value;
  if (perm?.user && !perm.user.role_name) perm.user.role_name = perm.role_name;
  /** @param {any} node */
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    // pull-request examples: requested_teams[] lacks the now-required `type`
    if (Array.isArray(node.requested_teams)) {
      for (const t of node.requested_teams) if (t && !t.type) t.type = 'organization';
    }
    Object.values(node).forEach(walk);
  };
  walk(ex);
  return doc;
}

/**
 * Path templates whose last parameter may contain slashes (x-multi-segment: contents path,
 * branch, git ref). Octokit percent-encodes the slashes, but GitHub also accepts them raw.
 * @param {any} doc
 * @returns {{ re: RegExp, index: number }[]}
 */
function multiSegmentRoutes(doc) {
  /** @param {any} p */
  const resolve = (p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p);
  const out = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(/** @type {Record<string, any>} */ (item))) {
      if (method === 'parameters') continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
      const multi = params.find((p) => p.in === 'path' && p['x-multi-segment']);
      if (!multi) continue;
      const parts = template.split(/(\{[^}]+\})/).filter(Boolean);
      let index = 0;
      let group = 0;
      const source = parts
        .map((part) => {
          if (!part.startsWith('{')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          group += 1;
          if (part === `{${multi.name}}`) {
            index = group;
            return '(.+)';
          }
          return '([^/]+)';
        })
        .join('');
      out.push({ re: new RegExp(`^${source}$`), index });
    }
  }
  return out;
}

/**
 * @typedef {object} EngineRequest
 * @property {string} method  lower case
 * @property {string} path
 * @property {Record<string, string|string[]|undefined>} headers
 * @property {string} query   raw query string
 * @property {any} [body]
 *
 * @typedef {object} RoutedRequest
 * @property {string|null} operationId  null: no operation matches
 * @property {string} routedPath        the path matched (raw slashes of multi-segment
 *   parameters re-encoded)
 * @property {Record<string, string>} params  path parameters, still percent-encoded
 * @property {Record<string, any>} query      parsed like openapi-backend parses it
 * @property {string[]} errors          request validation errors; empty when valid
 * @property {string|null} docUrl       the operation's documentation URL
 *
 * @typedef {object} OpenApiEngine
 * @property {string[]} operationIds
 * @property {(req: EngineRequest) => Promise<RoutedRequest>} route  match and validate a request
 * @property {(operationId: string, status: number, body: unknown) => Promise<string[]>} validateResponse
 * @property {(operationId: string, opts?: { code?: number, example?: string }) => Promise<{ status: number, mock: any }>} mock
 *   the spec's (fixed-up) example, as openapi-backend's mockResponseForOperation picks it
 * @property {() => Promise<string[]>} checkExamples  validates every example of every
 *   operation against its own schema; returns the failures
 * @property {() => void} release  the caller no longer needs the engine (see `openApiEngine`)
 */

/**
 * Runs in the worker: one openapi-backend per document.
 * @param {import('node:worker_threads').MessagePort} port
 */
function serveEngine(port) {
  const require = createRequire(import.meta.url);
  /** @type {typeof import('openapi-backend')} */
  const { OpenAPIBackend } = require('openapi-backend');
  /** @type {typeof import('ajv-formats').default} */
  const addFormats = require('ajv-formats');
  /** @typedef {{ api: import('openapi-backend').OpenAPIBackend, multi: { re: RegExp, index: number }[] }} Loaded */
  /** @type {Map<string, Loaded>} */
  const engines = new Map();

  /** @param {{ file: string, webhooksAsPaths: boolean }} spec */
  async function load(spec) {
    const key = JSON.stringify(spec);
    let engine = engines.get(key);
    if (!engine) {
      const doc = JSON.parse(fs.readFileSync(spec.file, 'utf8'));
      if (spec.webhooksAsPaths) {
        // openapi-backend validates requests to paths: serve each webhook as POST /<name>
        for (const [name, item] of Object.entries(doc['x-webhooks'] ?? {})) doc.paths[`/${name}`] = item;
        delete doc['x-webhooks'];
      }
      const multi = multiSegmentRoutes(doc);
      // An object, not a path: a path would go through json-schema-ref-parser (node >= 22).
      const api = new OpenAPIBackend({
        definition: applySpecFixups(doc),
        quick: true,
        strict: false,
        customizeAjv: (ajv) => {
          addFormats(ajv);
          ajv.addFormat('repo.nwo', true); // GitHub's own format name for "owner/name"
          return ajv;
        },
      });
      await api.init();
      engine = { api, multi };
      engines.set(key, engine);
    }
    return engine;
  }

  /** @param {any[]|null|undefined} errors */
  const messages = (errors) => (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);

  /** @type {Record<string, (engine: Loaded, ...args: any[]) => any>} */
  const methods = {
    operationIds: ({ api }) => api.getOperations().map((op) => op.operationId),
    /** @param {Loaded} engine @param {EngineRequest} req @returns {RoutedRequest} */
    route: ({ api, multi }, req) => {
      // drop undefined header values (http.IncomingHttpHeaders allows them, openapi-backend not)
      /** @type {Record<string, string|string[]>} */
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v;
      /** @param {string} path */
      const at = (path) => ({ ...req, headers, path });
      let routedPath = req.path;
      let op = api.matchOperation(at(routedPath));
      for (const { re, index } of op ? [] : multi) {
        const m = routedPath.match(re);
        if (!m || !m[index]?.includes('/')) continue;
        const start = /** @type {number} */ (m.index) + m[0].length - m[index].length;
        const candidate = routedPath.slice(0, start) + m[index].replace(/\//g, '%2F');
        op = api.matchOperation(at(candidate));
        if (op) {
          routedPath = candidate;
          break;
        }
      }
      if (!op) return { operationId: null, routedPath, params: {}, query: {}, errors: [], docUrl: null };
      const parsed = api.router.parseRequest(at(routedPath), op);
      const validation = api.validateRequest(at(routedPath), op);
      return {
        operationId: op.operationId ?? null,
        routedPath,
        params: /** @type {Record<string, string>} */ (parsed.params ?? {}),
        query: /** @type {Record<string, any>} */ (parsed.query ?? {}),
        errors: messages(validation.errors),
        docUrl: op.externalDocs?.url ?? null,
      };
    },
    validateResponse: ({ api }, operationId, status, body) => messages(api.validateResponse(body, operationId, status).errors),
    mock: ({ api }, operationId, opts) => api.mockResponseForOperation(operationId, opts),
    checkExamples: ({ api }) => {
      const problems = [];
      for (const op of api.getOperations()) {
        for (const [code, response] of Object.entries(op.responses ?? {})) {
          for (const example of Object.keys(/** @type {any} */ (response).content?.['application/json']?.examples ?? {})) {
            const id = /** @type {string} */ (op.operationId);
            const { status, mock } = api.mockResponseForOperation(id, { code: Number(code), example });
            const errors = messages(api.validateResponse(mock, id, status).errors);
            if (errors.length) problems.push(`${id} ${code} ${example}: ${errors.join('; ')}`);
          }
        }
      }
      return problems;
    },
  };

  port.on('message', async (/** @type {{ id: number, spec: any, method: string, args: any[] }} */ msg) => {
    try {
      const engine = await load(msg.spec);
      port.postMessage({ id: msg.id, ok: true, result: await methods[msg.method](engine, ...msg.args) });
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.stack : String(err) });
    }
  });
}

if (!isMainThread && workerData?.role === WORKER_ROLE && parentPort) serveEngine(parentPort);

/** The worker and its bookkeeping (main thread). */
const engineHost = {
  /** @type {Worker|null} */ worker: null,
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */ pending: new Map(),
  nextId: 0,
  users: 0,
  /** @type {NodeJS.Timeout|null} */ idle: null,
};

/** Keeps the worker referenced only while a call is pending, and ends it when idle. */
function settleWorkerRefs() {
  const { worker } = engineHost;
  if (!worker) return;
  if (engineHost.pending.size) worker.ref();
  else worker.unref();
  if (engineHost.idle) clearTimeout(engineHost.idle);
  engineHost.idle = null;
  if (!engineHost.pending.size && engineHost.users === 0) {
    // Idle: end it after a while (tests start and stop fakes back to back; keep the
    // compiled validators across that).
    engineHost.idle = setTimeout(() => {
      engineHost.worker = null;
      void worker.terminate();
    }, 5000);
    engineHost.idle.unref();
  }
}

/** @param {any} spec @param {string} method @param {any[]} args */
function callEngine(spec, method, args) {
  if (!engineHost.worker) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE } });
    worker.on('message', (/** @type {{ id: number, ok: boolean, result?: any, error?: string }} */ msg) => {
      const waiter = engineHost.pending.get(msg.id);
      if (!waiter) return;
      engineHost.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else waiter.reject(new Error(`OpenAPI engine: ${msg.error}`));
      settleWorkerRefs();
    });
    worker.on('error', (err) => {
      for (const waiter of engineHost.pending.values()) waiter.reject(err);
      engineHost.pending.clear();
      if (engineHost.worker === worker) engineHost.worker = null;
    });
    engineHost.worker = worker;
  }
  const id = ++engineHost.nextId;
  const promise = new Promise((resolve, reject) => engineHost.pending.set(id, { resolve, reject }));
  engineHost.worker.postMessage({ id, spec, method, args });
  settleWorkerRefs();
  return promise;
}

/**
 * An OpenAPI engine over a description file (GitHub's REST subset by default). Engines are
 * cheap handles onto the shared worker; call `release()` when done so the worker can end.
 * @param {{ file?: string, webhooksAsPaths?: boolean }} [options] `webhooksAsPaths`: serve
 *   each `x-webhooks` entry as `POST /<name>`, to validate payloads as request bodies
 * @returns {Promise<OpenApiEngine>}
 */
export async function openApiEngine(options = {}) {
  const spec = { file: options.file ?? SPEC_PATH, webhooksAsPaths: options.webhooksAsPaths ?? false };
  engineHost.users += 1;
  let released = false;
  /** @param {string} method @param {...any} args */
  const call = (method, ...args) => callEngine(spec, method, args);
  try {
    return {
      operationIds: await call('operationIds'),
      route: (req) => call('route', req),
      validateResponse: (operationId, status, body) => call('validateResponse', operationId, status, body),
      mock: (operationId, opts) => call('mock', operationId, opts),
      checkExamples: () => call('checkExamples'),
      release() {
        if (released) return;
        released = true;
        engineHost.users -= 1;
        settleWorkerRefs();
      },
    };
  } catch (err) {
    engineHost.users -= 1;
    settleWorkerRefs();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// 2. Git access (read-only, except refs/pull/<n>/head which GitHub itself maintains)
// ---------------------------------------------------------------------------------------

/**
 * @param {string} gitDir
 * @param {string[]} args
 * @returns {Promise<Buffer>}
 */
function gitRaw(gitDir, args) {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['--git-dir', gitDir, ...args],
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        // Built from scratch: no inherited GIT_* variables, no system or global config.
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/',
          LC_ALL: 'C',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_LITERAL_PATHSPECS: '1', // contents paths are names, not patterns
        },
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: stderr.toString() }));
        else resolve(stdout);
      },
    );
  });
}

/** @param {string} gitDir */
function makeGit(gitDir) {
  /** @param {string[]} args */
  const text = async (args) => (await gitRaw(gitDir, args)).toString('utf8').trim();
  /** @param {string[]} args */
  const textOrNull = async (args) => text(args).catch(() => null);
  return {
    /** Resolves anything rev-parse understands to a commit sha, or null. @param {string} rev */
    commitOf: (rev) => textOrNull(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]),
    /** Exact ref lookup (no DWIM), or null. @param {string} fullRef e.g. refs/heads/main */
    refTarget: async (fullRef) => {
      const out = await textOrNull(['show-ref', '--verify', fullRef]);
      return out ? out.split(' ')[0] : null;
    },
    /** @param {string} sha */
    typeOf: (sha) => text(['cat-file', '-t', sha]),
    /** @param {string} sha */
    commitInfo: async (sha) => {
      const out = await text(['show', '-s', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B', sha]);
      const [commit, tree, parents, an, ae, ad, cn, ce, cd, ...msg] = out.split('\0');
      return {
        sha: commit,
        tree,
        parents: parents ? parents.split(' ') : [],
        author: { name: an, email: ae, date: isoSeconds(ad) },
        committer: { name: cn, email: ce, date: isoSeconds(cd) },
        message: msg.join('\0').replace(/\n+$/, ''),
      };
    },
    /**
     * The tree entry for a path at a commit: mode, type, sha, size.
     * @param {string} commit @param {string} path
     */
    entry: async (commit, path) => {
      const out = await textOrNull(['ls-tree', '-l', '-z', commit, '--', path]);
      if (!out) return null;
      return parseTreeLine(out.split('\0')[0]);
    },
    /** @param {string} commit @param {string} dir */
    list: async (commit, dir) => {
      const out = await text(['ls-tree', '-l', '-z', commit, ...(dir ? ['--', `${dir}/`] : [])]);
      return out.split('\0').filter(Boolean).map(parseTreeLine);
    },
    /** @param {string} sha */
    blob: (sha) => gitRaw(gitDir, ['cat-file', 'blob', sha]),
    /** Commits in head not in base. @param {string} base @param {string} head */
    countCommits: async (base, head) => Number(await text(['rev-list', '--count', `${base}..${head}`])),
    /** @param {string} base @param {string} head */
    diffStat: async (base, head) => {
      const out = await text(['diff', '--numstat', `${base}...${head}`]);
      let additions = 0;
      let deletions = 0;
      let files = 0;
      for (const line of out.split('\n').filter(Boolean)) {
        const [a, d] = line.split('\t');
        files += 1;
        additions += Number(a) || 0; // binary files show "-"
        deletions += Number(d) || 0;
      }
      return { additions, deletions, files };
    },
    /** @param {string} ref @param {string} sha */
    updateRef: (ref, sha) => gitRaw(gitDir, ['update-ref', ref, sha]).then(() => undefined),
  };
}

/** @param {string} line "<mode> <type> <sha> <size>\t<path>" */
function parseTreeLine(line) {
  const tab = line.indexOf('\t');
  const [mode, type, sha, size] = line.slice(0, tab).trim().split(/\s+/);
  return { mode, type, sha, size: size === '-' ? 0 : Number(size), path: line.slice(tab + 1) };
}

/** GitHub timestamps: ISO 8601 in UTC, no milliseconds. @param {string|Date} [d] */
function isoSeconds(d = new Date()) {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------
// Stable ids (shared with test/sim/payloads.mjs so payloads and API agree)
// ---------------------------------------------------------------------------------------

/** Ids GitHub really uses for the logins and repository of the webhook examples. */
const KNOWN_USER_IDS = /** @type {Record<string, number>} */ ({
  codertocat: 21031067,
  octocat: 583231,
  'github-actions[bot]': 41898282,
  'dependabot[bot]': 49699333,
});
const KNOWN_REPO_IDS = /** @type {Record<string, number>} */ ({ 'codertocat/hello-world': 186853002 });

/** FNV-1a: a stable 32-bit hash for fake ids. @param {string} s */
export function hash32(s) {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 16777619) >>> 0;
  return h;
}

/** Stable numeric id for a login (GitHub's real id for a few well-known ones). @param {string} login */
export function userId(login) {
  return KNOWN_USER_IDS[login.toLowerCase()] ?? 1_000_000 + (hash32(`user:${login.toLowerCase()}`) % 90_000_000);
}

/** Stable numeric id for a repository full name. @param {string} fullName */
export function repoId(fullName) {
  return KNOWN_REPO_IDS[fullName.toLowerCase()] ?? 100_000_000 + (hash32(`repo:${fullName.toLowerCase()}`) % 800_000_000);
}

/** A legacy-style GraphQL node id. @param {string} kind e.g. "User", "Issue" @param {number} id */
export function nodeId(kind, id) {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/** A response with an error status, thrown by handlers. */
class HttpError extends Error {
  /** @param {number} status @param {any} body @param {Record<string,string>} [headers] */
  constructor(status, body, headers = {}) {
    super(typeof body === 'object' && body ? body.message : String(body));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const DOCS = 'https://docs.github.com/rest';
const SECONDARY_RATE_LIMIT =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.';

/** GitHub's default error body for a status (used by failNext). @param {number} status @param {Record<string,string>} headers @param {string} doc */
function defaultErrorBody(status, headers, doc) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  /** @type {Record<number, string>} */
  const messages = {
    401: 'Bad credentials',
    404: 'Not Found',
    409: 'Conflict',
    410: 'Gone',
    422: 'Validation Failed',
    429: SECONDARY_RATE_LIMIT,
    500: 'Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
  };
  let message = messages[status] ?? http.STATUS_CODES[status] ?? 'Error';
  if (status === 403) {
    if (lower['retry-after']) message = SECONDARY_RATE_LIMIT;
    else if (lower['x-ratelimit-remaining'] === '0') message = 'API rate limit exceeded for installation ID 1.';
    else message = 'Resource not accessible by integration';
  }
  return { message, documentation_url: doc, status: String(status), ...(status === 422 ? { errors: [] } : {}) };
}

// ---------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------

const REACTIONS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];
const BODY_LIMIT = 65536;
const ROLE_PERMISSIONS = /** @type {Record<string, {admin:boolean,maintain:boolean,push:boolean,triage:boolean,pull:boolean}>} */ ({
  admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
  maintain: { admin: false, maintain: true, push: true, triage: true, pull: true },
  write: { admin: false, maintain: false, push: true, triage: true, pull: true },
  triage: { admin: false, maintain: false, push: false, triage: true, pull: true },
  read: { admin: false, maintain: false, push: false, triage: false, pull: true },
  none: { admin: false, maintain: false, push: false, triage: false, pull: false },
});

/**
 * Starts the fake on 127.0.0.1.
 * @param {FakeGitHubOptions} options
 * @returns {Promise<FakeGitHub>}
 */
export async function startFakeGitHub(options) {
  const owner = options.owner ?? 'Codertocat';
  const repo = options.repo ?? 'Hello-World';
  const fullName = `${owner}/${repo}`;
  const defaultBranch = options.defaultBranch ?? 'main';
  const selfLogin = options.selfLogin ?? 'github-actions[bot]';
  const serverUrl = (options.serverUrl ?? 'https://github.com').replace(/\/$/, '');
  const permissions = options.permissions ?? {};
  const mockOps = new Set(options.mock ?? []);
  if (!options.originDir || !fs.existsSync(options.originDir)) {
    throw new Error(`startFakeGitHub: originDir ${options.originDir} does not exist`);
  }
  const git = makeGit(options.originDir);
  const thisRepoId = repoId(fullName);
  const createdAt = isoSeconds();

  /** @type {Call[]} */
  const calls = [];
  /** @type {string[]} */
  const violations = [];
  /** @type {Map<string, Required<FailureSpec>[]>} */
  const failures = new Map();
  /** @type {FakeState} */
  const state = { issues: [], pulls: [], comments: [], reviews: [], reviewComments: [], reactions: [], labels: [], events: [] };

  // Ids are unique across all kinds and increase; explicit seed ids are honoured.
  let maxId = 1000;
  const nextId = () => ++maxId;
  /** @param {number|undefined} id */
  const takeId = (id) => {
    if (id === undefined) return nextId();
    maxId = Math.max(maxId, id);
    return id;
  };

  let url = ''; // set once listening
  const apiRepo = () => `${url}/repos/${owner}/${repo}`;
  const htmlRepo = `${serverUrl}/${fullName}`;

  // ---- 3. Resource builders ------------------------------------------------------------

  /** simple-user. Bots' html_url points at the app, as on GitHub. @param {string} login */
  function simpleUser(login) {
    const id = userId(login);
    const isBot = login.endsWith('[bot]');
    const api = `${url}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: nodeId(isBot ? 'Bot' : 'User', id),
      avatar_url: `https://avatars.githubusercontent.com/${isBot ? 'in/15368' : `u/${id}`}?v=4`,
      gravatar_id: '',
      url: api,
      html_url: isBot ? `${serverUrl}/apps/${login.replace(/\[bot\]$/, '')}` : `${serverUrl}/${login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: isBot ? 'Bot' : login === owner ? (options.ownerType ?? 'User') : 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  /** @param {string} login */
  function privateUser(login) {
    return {
      ...simpleUser(login),
      name: login,
      company: null,
      blog: '',
      location: null,
      email: null,
      notification_email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 1,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2011-01-25T18:44:36Z',
      updated_at: createdAt,
      private_gists: 0,
      total_private_repos: 0,
      owned_private_repos: 0,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }

  /**
   * A repository object satisfying both `repository` and `full-repository`.
   * @param {string} [name] full name, default this repository
   */
  function repository(name = fullName) {
    const [o, r] = name.split('/');
    const isFork = name.toLowerCase() !== fullName.toLowerCase();
    const a = `${url}/repos/${o}/${r}`;
    const id = repoId(name);
    const openIssues = isFork ? 0 : state.issues.filter((i) => i.state === 'open').length;
    return {
      id,
      node_id: nodeId('Repository', id),
      name: r,
      full_name: name,
      owner: simpleUser(o),
      private: false,
      html_url: `${serverUrl}/${name}`,
      description: null,
      fork: isFork,
      url: a,
      archive_url: `${a}/{archive_format}{/ref}`,
      assignees_url: `${a}/assignees{/user}`,
      blobs_url: `${a}/git/blobs{/sha}`,
      branches_url: `${a}/branches{/branch}`,
      collaborators_url: `${a}/collaborators{/collaborator}`,
      comments_url: `${a}/comments{/number}`,
      commits_url: `${a}/commits{/sha}`,
      compare_url: `${a}/compare/{base}...{head}`,
      contents_url: `${a}/contents/{+path}`,
      contributors_url: `${a}/contributors`,
      deployments_url: `${a}/deployments`,
      downloads_url: `${a}/downloads`,
      events_url: `${a}/events`,
      forks_url: `${a}/forks`,
      git_commits_url: `${a}/git/commits{/sha}`,
      git_refs_url: `${a}/git/refs{/sha}`,
      git_tags_url: `${a}/git/tags{/sha}`,
      git_url: `git://${new URL(serverUrl).host}/${name}.git`,
      issue_comment_url: `${a}/issues/comments{/number}`,
      issue_events_url: `${a}/issues/events{/number}`,
      issues_url: `${a}/issues{/number}`,
      keys_url: `${a}/keys{/key_id}`,
      labels_url: `${a}/labels{/name}`,
      languages_url: `${a}/languages`,
      merges_url: `${a}/merges`,
      milestones_url: `${a}/milestones{/number}`,
      notifications_url: `${a}/notifications{?since,all,participating}`,
      pulls_url: `${a}/pulls{/number}`,
      releases_url: `${a}/releases{/id}`,
      ssh_url: `git@${new URL(serverUrl).host}:${name}.git`,
      stargazers_url: `${a}/stargazers`,
      statuses_url: `${a}/statuses/{sha}`,
      subscribers_url: `${a}/subscribers`,
      subscription_url: `${a}/subscription`,
      tags_url: `${a}/tags`,
      teams_url: `${a}/teams`,
      trees_url: `${a}/git/trees{/sha}`,
      clone_url: `${serverUrl}/${name}.git`,
      mirror_url: null,
      hooks_url: `${a}/hooks`,
      svn_url: `${serverUrl}/${name}`,
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 0,
      default_branch: defaultBranch,
      open_issues_count: openIssues,
      open_issues: openIssues,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'public',
      pushed_at: createdAt,
      created_at: '2019-05-15T15:19:25Z',
      updated_at: createdAt,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
      network_count: 0,
      subscribers_count: 0,
    };
  }

  /** @param {string} login */
  function authorAssociation(login) {
    if (login.toLowerCase() === owner.toLowerCase()) return 'OWNER';
    const p = permissions[login];
    if (typeof p === 'string' && ['admin', 'maintain', 'write', 'triage'].includes(p)) return 'COLLABORATOR';
    return 'NONE';
  }

  /** @param {string} name */
  function labelObject(name) {
    const l = state.labels.find((x) => x.name === name) ?? ensureLabel(name);
    return {
      id: l.id,
      node_id: nodeId('Label', l.id),
      url: `${apiRepo()}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      description: l.description,
      color: l.color,
      default: l.default,
    };
  }

  /** @param {string} name @param {Partial<SeedLabel>} [seed] */
  function ensureLabel(name, seed = {}) {
    let l = state.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!l) {
      l = { id: nextId(), name, color: seed.color ?? 'ededed', description: seed.description ?? null, default: false };
      state.labels.push(l);
    }
    return l;
  }

  /** reaction-rollup for a subject. @param {ReactionSubject} subject @param {number} subjectId @param {string} reactionsUrl */
  function reactionRollup(subject, subjectId, reactionsUrl) {
    const mine = state.reactions.filter((r) => r.subject === subject && r.subjectId === subjectId);
    /** @type {Record<string, any>} */
    const rollup = { url: reactionsUrl, total_count: mine.length };
    for (const c of REACTIONS) rollup[c] = mine.filter((r) => r.content === c).length;
    return rollup;
  }

  /** A labeled-issue-event. @param {EventRecord} e */
  function eventObject(e) {
    return {
      id: e.id,
      node_id: nodeId('LabeledEvent', e.id),
      url: `${apiRepo()}/issues/events/${e.id}`,
      actor: simpleUser(e.actor),
      event: e.event,
      commit_id: null,
      commit_url: null,
      created_at: e.createdAt,
      performed_via_github_app: null,
      label: { name: e.label, color: labelObject(e.label).color },
    };
  }

  /** @param {IssueRecord} i */
  function issueObject(i) {
    const a = `${apiRepo()}/issues/${i.number}`;
    const kind = i.isPullRequest ? 'pull' : 'issues';
    const pull = i.isPullRequest ? state.pulls.find((p) => p.number === i.number) : undefined;
    return {
      id: i.id,
      node_id: nodeId('Issue', i.id),
      url: a,
      repository_url: apiRepo(),
      labels_url: `${a}/labels{/name}`,
      comments_url: `${a}/comments`,
      events_url: `${a}/events`,
      html_url: `${htmlRepo}/${kind}/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.state === 'closed' && !i.isPullRequest ? 'completed' : null,
      title: i.title,
      body: i.body,
      user: simpleUser(i.user),
      labels: i.labels.map(labelObject),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: state.comments.filter((c) => c.issueNumber === i.number).length,
      ...(i.isPullRequest
        ? {
            pull_request: {
              url: `${apiRepo()}/pulls/${i.number}`,
              html_url: `${htmlRepo}/pull/${i.number}`,
              diff_url: `${htmlRepo}/pull/${i.number}.diff`,
              patch_url: `${htmlRepo}/pull/${i.number}.patch`,
              merged_at: null,
            },
            draft: pull?.draft ?? false,
          }
        : {}),
      closed_at: i.closedAt,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_by: null,
      author_association: authorAssociation(i.user),
      type: null,
      reactions: reactionRollup('issue', i.number, `${a}/reactions`),
      timeline_url: `${a}/timeline`,
      performed_via_github_app: null,
    };
  }

  /** @param {CommentRecord} c */
  function commentObject(c) {
    const issue = state.issues.find((i) => i.number === c.issueNumber);
    const a = `${apiRepo()}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: nodeId('IssueComment', c.id),
      url: a,
      html_url: `${htmlRepo}/${issue?.isPullRequest ? 'pull' : 'issues'}/${c.issueNumber}#issuecomment-${c.id}`,
      body: c.body,
      user: simpleUser(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: `${apiRepo()}/issues/${c.issueNumber}`,
      author_association: authorAssociation(c.user),
      performed_via_github_app: null,
      reactions: reactionRollup('issue_comment', c.id, `${a}/reactions`),
    };
  }

  /** @param {ReactionRecord} r */
  function reactionObject(r) {
    return { id: r.id, node_id: nodeId('Reaction', r.id), user: simpleUser(r.user), content: r.content, created_at: r.createdAt };
  }

  /** Reads the live head of a PR; same-repo heads follow their branch, like on GitHub. @param {PullRecord} p */
  async function refreshHead(p) {
    if (p.headRepoFullName.toLowerCase() === fullName.toLowerCase() && p.state === 'open') {
      const sha = await git.commitOf(`refs/heads/${p.head}`);
      if (sha && sha !== p.headSha) {
        p.headSha = sha;
        await git.updateRef(`refs/pull/${p.number}/head`, sha).catch(() => undefined);
      }
    }
    return p.headSha;
  }

  /**
   * pull-request (full) or pull-request-simple (lists).
   * @param {PullRecord} p @param {{ simple?: boolean }} [opts]
   */
  async function pullObject(p, { simple = false } = {}) {
    const headSha = await refreshHead(p);
    const baseSha = (await git.commitOf(`refs/heads/${p.base}`)) ?? headSha;
    const a = `${apiRepo()}/pulls/${p.number}`;
    const issueUrl = `${apiRepo()}/issues/${p.number}`;
    const html = `${htmlRepo}/pull/${p.number}`;
    const headOwner = p.headRepoFullName.split('/')[0];
    const common = {
      url: a,
      id: p.id,
      node_id: nodeId('PullRequest', p.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueUrl,
      commits_url: `${a}/commits`,
      review_comments_url: `${a}/comments`,
      review_comment_url: `${apiRepo()}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: `${apiRepo()}/statuses/${headSha}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: simpleUser(p.user),
      body: p.body,
      labels: p.labels.map(labelObject),
      milestone: null,
      active_lock_reason: null,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${headOwner}:${p.head}`,
        ref: p.head,
        sha: headSha,
        user: simpleUser(headOwner),
        repo: repository(p.headRepoFullName),
      },
      base: { label: `${owner}:${p.base}`, ref: p.base, sha: baseSha, user: simpleUser(owner), repo: repository() },
      _links: {
        self: { href: a },
        html: { href: html },
        issue: { href: issueUrl },
        comments: { href: `${issueUrl}/comments` },
        review_comments: { href: `${a}/comments` },
        review_comment: { href: `${apiRepo()}/pulls/comments{/number}` },
        commits: { href: `${a}/commits` },
        statuses: { href: `${apiRepo()}/statuses/${headSha}` },
      },
      author_association: authorAssociation(p.user),
      auto_merge: null,
      draft: p.draft,
    };
    if (simple) return common;
    const stat = await git.diffStat(baseSha, headSha).catch(() => ({ additions: 0, deletions: 0, files: 0 }));
    const open = p.state === 'open';
    return {
      ...common,
      merged: false,
      mergeable: open ? true : null,
      rebaseable: open ? true : null,
      mergeable_state: !open ? 'unknown' : p.draft ? 'draft' : 'clean',
      merged_by: null,
      comments: state.comments.filter((c) => c.issueNumber === p.number).length,
      review_comments: state.reviewComments.filter((c) => c.pullNumber === p.number).length,
      maintainer_can_modify: p.maintainerCanModify,
      commits: await git.countCommits(baseSha, headSha).catch(() => 0),
      additions: stat.additions,
      deletions: stat.deletions,
      changed_files: stat.files,
    };
  }

  /** @param {ReviewRecord} r */
  function reviewObject(r) {
    const html = `${htmlRepo}/pull/${r.pullNumber}#pullrequestreview-${r.id}`;
    const pr = `${apiRepo()}/pulls/${r.pullNumber}`;
    return {
      id: r.id,
      node_id: nodeId('PullRequestReview', r.id),
      user: simpleUser(r.user),
      body: r.body,
      state: r.state,
      html_url: html,
      pull_request_url: pr,
      _links: { html: { href: html }, pull_request: { href: pr } },
      ...(r.state === 'PENDING' ? {} : { submitted_at: r.submittedAt }),
      commit_id: r.commitId,
      author_association: authorAssociation(r.user),
    };
  }

  /** Shape shared by pull-request-review-comment and review-comment. @param {ReviewCommentRecord} c */
  function reviewCommentObject(c) {
    const a = `${apiRepo()}/pulls/comments/${c.id}`;
    const html = `${htmlRepo}/pull/${c.pullNumber}#discussion_r${c.id}`;
    const pr = `${apiRepo()}/pulls/${c.pullNumber}`;
    // position: the line's index in the file's diff. Approximated by the hunk's length, as
    // GitHub's diff_hunk ends at the commented line.
    const position = Math.max(1, c.diffHunk.split('\n').length - 1);
    return {
      url: a,
      pull_request_review_id: c.reviewId,
      id: c.id,
      node_id: nodeId('PullRequestReviewComment', c.id),
      diff_hunk: c.diffHunk,
      path: c.path,
      position,
      original_position: position,
      commit_id: c.commitId,
      original_commit_id: c.commitId,
      ...(c.inReplyTo ? { in_reply_to_id: c.inReplyTo } : {}),
      user: simpleUser(c.user),
      body: c.body,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      html_url: html,
      pull_request_url: pr,
      author_association: authorAssociation(c.user),
      _links: { self: { href: a }, html: { href: html }, pull_request: { href: pr } },
      reactions: reactionRollup('pull_request_review_comment', c.id, `${a}/reactions`),
      start_line: null,
      original_start_line: null,
      start_side: null,
      line: c.line,
      original_line: c.line,
      side: 'RIGHT',
      subject_type: c.line === null ? 'file' : 'line',
    };
  }

  /** commit (as in branch-with-protection). @param {string} sha */
  async function commitObject(sha) {
    const info = await git.commitInfo(sha);
    return {
      sha,
      node_id: nodeId('Commit', hash32(sha)),
      commit: {
        author: info.author,
        committer: info.committer,
        message: info.message,
        tree: { sha: info.tree, url: `${apiRepo()}/git/trees/${info.tree}` },
        url: `${apiRepo()}/git/commits/${sha}`,
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      url: `${apiRepo()}/commits/${sha}`,
      html_url: `${htmlRepo}/commit/${sha}`,
      comments_url: `${apiRepo()}/commits/${sha}/comments`,
      author: null, // GitHub: null when the commit email maps to no account
      committer: null,
      parents: info.parents.map((p) => ({ sha: p, url: `${apiRepo()}/commits/${p}`, html_url: `${htmlRepo}/commit/${p}` })),
    };
  }

  /**
   * An entry of the contents API. @param {{mode:string,type:string,sha:string,size:number,path:string}} e
   * @param {string} ref the ref as requested
   */
  function contentEntry(e, ref) {
    const type = e.type === 'tree' ? 'dir' : e.type === 'commit' ? 'submodule' : e.mode === '120000' ? 'symlink' : 'file';
    const p = encodePath(e.path);
    const r = encodePath(ref);
    const self = `${apiRepo()}/contents/${p}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = type === 'dir' ? `${apiRepo()}/git/trees/${e.sha}` : type === 'submodule' ? null : `${apiRepo()}/git/blobs/${e.sha}`;
    const htmlUrl = type === 'submodule' ? null : `${htmlRepo}/${type === 'dir' ? 'tree' : 'blob'}/${r}/${p}`;
    const download =
      type === 'file' || type === 'symlink'
        ? serverUrl === 'https://github.com'
          ? `https://raw.githubusercontent.com/${fullName}/${r}/${p}`
          : `${htmlRepo}/raw/${r}/${p}`
        : null;
    return {
      type,
      size: type === 'dir' ? 0 : e.size,
      name: e.path.split('/').pop() ?? e.path,
      path: e.path,
      sha: e.sha,
      url: self,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: download,
      _links: { self, git: gitUrl, html: htmlUrl },
    };
  }

  // ---- helpers used by handlers --------------------------------------------------------

  /** @param {string} message @param {string} doc @param {number} [status] */
  const fail = (message, doc, status = 404) => new HttpError(status, { message, documentation_url: doc, status: String(status) });
  /** 422 Validation Failed with GitHub's `errors` array. @param {string} doc @param {object[]} errors */
  const invalid = (doc, errors) => new HttpError(422, { message: 'Validation Failed', errors, documentation_url: doc, status: '422' });
  /** @param {string} doc @param {string} resource @param {string|null|undefined} body @param {boolean} [issueComment] */
  function checkBody(doc, resource, body, issueComment = false) {
    if (typeof body === 'string' && [...body].length > BODY_LIMIT) {
      // IssueComment answers with this exact object today; other resources with the older form.
      throw invalid(
        doc,
        issueComment
          ? [{ resource, code: 'unprocessable', field: 'data', message: `Body is too long (maximum is ${BODY_LIMIT} characters)` }]
          : [{ resource, code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }],
      );
    }
  }
  /** @param {number} n @param {string} doc */
  function findIssue(n, doc) {
    const i = state.issues.find((x) => x.number === n);
    if (!i) throw fail('Not Found', doc);
    return i;
  }
  /** @param {number} n @param {string} doc */
  function findPull(n, doc) {
    const p = state.pulls.find((x) => x.number === n);
    if (!p) throw fail('Not Found', doc);
    return p;
  }
  /** Keeps the issue side of a PR in step with the PR. @param {PullRecord} p */
  function syncIssue(p) {
    const i = state.issues.find((x) => x.number === p.number);
    if (i) Object.assign(i, { title: p.title, body: p.body, state: p.state, updatedAt: p.updatedAt, closedAt: p.closedAt });
  }
  const nextNumber = () => Math.max(0, ...state.issues.map((i) => i.number)) + 1;

  /**
   * Slices a list the way GitHub does and builds its Link header. GitHub's links use the
   * /repositories/<id>/... form of the URL, so clients must follow them rather than rebuild.
   * @template T
   * @param {T[]} items @param {Ctx} c
   * @returns {{ body: T[], headers: Record<string, string> }}
   */
  function paginate(items, c) {
    let perPage = Number(c.query.per_page ?? 30);
    if (!Number.isFinite(perPage) || perPage < 1) perPage = 30;
    perPage = Math.min(100, Math.floor(perPage));
    const page = Math.max(1, Math.floor(Number(c.query.page ?? 1)) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const rest = c.routedPath.replace(/^\/repos\/[^/]+\/[^/]+/, '');
    /** @param {number} n */
    const link = (n) => {
      const q = new URLSearchParams(c.rawQuery);
      q.set('page', String(n));
      return `<${url}/repositories/${thisRepoId}${rest}?${q.toString()}>`;
    };
    const rels = [];
    if (page > 1) rels.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`);
    return { body: slice, headers: rels.length ? { link: rels.join(', ') } : {} };
  }

  /**
   * @template {{createdAt:string,updatedAt:string,id:number}} T
   * @param {T[]} list @param {Ctx} c @returns {T[]}
   */
  function sortAndFilter(list, c) {
    const since = c.query.since ? Date.parse(c.query.since) : null;
    const key = c.query.sort === 'updated' ? 'updatedAt' : 'createdAt';
    const dir = c.query.direction === 'desc' ? -1 : 1;
    return list
      .filter((x) => since === null || Date.parse(x.updatedAt) >= since)
      .sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : (a.id - b.id) * dir));
  }

  /**
   * @param {ReactionSubject} subject @param {number} subjectId @param {Ctx} c
   * @returns {Result}
   */
  function react(subject, subjectId, c) {
    const content = c.body.content;
    const existing = state.reactions.find(
      (r) => r.subject === subject && r.subjectId === subjectId && r.user === selfLogin && r.content === content,
    );
    if (existing) return { status: 200, body: reactionObject(existing) };
    /** @type {ReactionRecord} */
    const r = { id: nextId(), subject, subjectId, content, user: selfLogin, createdAt: isoSeconds() };
    state.reactions.push(r);
    return { status: 201, body: reactionObject(r) };
  }

  /**
   * @typedef {object} Ctx
   * @property {string} doc       the operation's documentation URL
   * @property {Record<string,string>} params decoded path parameters
   * @property {Record<string, any>} query
   * @property {string} rawQuery
   * @property {string} routedPath path after /repositories/<id> and multi-segment rewriting
   * @property {any} body
   * @property {http.IncomingHttpHeaders} headers
   *
   * @typedef {{ status: number, body?: any, headers?: Record<string,string>, raw?: Buffer, contentType?: string }} Result
   */

  // ---- 4. Handlers ----------------------------------------------------------------------

  /** @type {Record<string, (c: Ctx) => Result | Promise<Result>>} */
  const handlers = {
    'users/get-authenticated': (c) => {
      // An installation token (github-actions[bot], any app) is not a user.
      if (selfLogin.endsWith('[bot]')) throw fail('Resource not accessible by integration', c.doc, 403);
      return { status: 200, body: privateUser(selfLogin) };
    },

    'repos/get': () => ({ status: 200, body: repository() }),

    'repos/get-branch': async (c) => {
      const target = await git.refTarget(`refs/heads/${c.params.branch}`);
      const sha = target && (await git.commitOf(target));
      if (!sha) throw fail('Branch not found', c.doc);
      const a = `${apiRepo()}/branches/${c.params.branch}`;
      return {
        status: 200,
        body: {
          name: c.params.branch,
          commit: await commitObject(sha),
          _links: { self: a, html: `${htmlRepo}/tree/${c.params.branch}` },
          protected: false,
          protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
          protection_url: `${a}/protection`,
        },
      };
    },

    'git/get-ref': async (c) => {
      // Exact match only (git/refs/<prefix> is the matching endpoint).
      const ref = `refs/${c.params.ref}`;
      const sha = await git.refTarget(ref);
      if (!sha) throw fail('Not Found', c.doc);
      const type = await git.typeOf(sha);
      return {
        status: 200,
        body: {
          ref,
          node_id: nodeId('Ref', hash32(ref)),
          url: `${apiRepo()}/git/${ref}`,
          object: { type, sha, url: `${apiRepo()}/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}` },
        },
      };
    },

    'repos/get-content': async (c) => {
      const ref = c.query.ref ?? defaultBranch;
      const commit = await git.commitOf(ref);
      if (!commit) throw fail(`No commit found for the ref ${ref}`, c.doc);
      const path = c.params.path.replace(/^\/+|\/+$/g, '');
      const entry = await git.entry(commit, path);
      if (!entry) throw fail('Not Found', c.doc);
      if (entry.type === 'tree') {
        const list = await git.list(commit, path);
        return { status: 200, body: list.map((e) => contentEntry(e, ref)) };
      }
      if (entry.type !== 'blob') throw fail('Not Found', c.doc); // submodules: not modelled
      const data = await git.blob(entry.sha);
      if (/\.raw\b/.test(String(c.headers.accept ?? ''))) {
        // mediaType: { format: 'raw' } -> the bytes themselves, no JSON
        return { status: 200, raw: data, contentType: 'application/vnd.github.raw; charset=utf-8' };
      }
      const base = contentEntry(entry, ref);
      if (base.type === 'symlink') return { status: 200, body: { ...base, target: data.toString('utf8') } };
      // GitHub wraps base64 at 60 columns; files over 1 MB come back without content.
      const tooBig = data.length > 1024 * 1024;
      const b64 = data.toString('base64');
      const content = tooBig ? '' : (b64.match(/.{1,60}/g) ?? []).map((l) => `${l}\n`).join('');
      return { status: 200, body: { ...base, content, encoding: tooBig ? 'none' : 'base64' } };
    },

    'repos/get-collaborator-permission-level': (c) => {
      const login = c.params.username;
      const known = Object.keys(permissions).find((k) => k.toLowerCase() === login.toLowerCase());
      let value = known !== undefined ? permissions[known] : login.toLowerCase() === owner.toLowerCase() ? 'admin' : undefined;
      if (value === undefined) throw fail(`${login} is not a user`, c.doc);
      if (typeof value === 'number') throw new HttpError(value, defaultErrorBody(value, {}, c.doc));
      // `permission` is the legacy coarse value; role_name carries maintain/triage.
      const legacy = value === 'maintain' ? 'write' : value === 'triage' ? 'read' : value;
      return {
        status: 200,
        body: {
          permission: legacy,
          role_name: value,
          user: { ...simpleUser(known ?? login), permissions: ROLE_PERMISSIONS[value], role_name: value },
        },
      };
    },

    'issues/get': (c) => ({ status: 200, body: issueObject(findIssue(Number(c.params.issue_number), c.doc)) }),

    // Issues and pull requests, as GitHub lists them: open by default, every label in `labels` required,
    // newest first unless `direction=asc`.
    'issues/list-for-repo': (c) => {
      const wanted = c.query.state ?? 'open';
      const labels = String(c.query.labels ?? '').split(',').map((/** @type {string} */ l) => l.trim().toLowerCase()).filter(Boolean);
      const list = state.issues.filter(
        (i) => (wanted === 'all' || i.state === wanted) && labels.every((/** @type {string} */ l) => i.labels.some((x) => x.toLowerCase() === l)),
      );
      const sorted = sortAndFilter(list, { ...c, query: { ...c.query, direction: c.query.direction ?? 'desc' } });
      const page = paginate(sorted, c);
      return { status: 200, body: page.body.map(issueObject), headers: page.headers };
    },

    'issues/list-events': (c) => {
      const n = Number(c.params.issue_number);
      findIssue(n, c.doc);
      const page = paginate(state.events.filter((e) => e.issueNumber === n), c);
      return { status: 200, body: page.body.map(eventObject), headers: page.headers };
    },

    'issues/list-comments': (c) => {
      const n = Number(c.params.issue_number);
      findIssue(n, c.doc);
      const list = sortAndFilter(state.comments.filter((x) => x.issueNumber === n), { ...c, query: { since: c.query.since } });
      const page = paginate(list, c);
      return { status: 200, body: page.body.map(commentObject), headers: page.headers };
    },

    'issues/create-comment': (c) => {
      const n = Number(c.params.issue_number);
      findIssue(n, c.doc);
      checkBody(c.doc, 'IssueComment', c.body.body, true);
      const now = isoSeconds();
      /** @type {CommentRecord} */
      const comment = { id: nextId(), issueNumber: n, body: c.body.body, user: selfLogin, createdAt: now, updatedAt: now };
      state.comments.push(comment);
      const body = commentObject(comment);
      return { status: 201, body, headers: { location: body.url } };
    },

    'issues/get-comment': (c) => {
      const comment = state.comments.find((x) => x.id === Number(c.params.comment_id));
      if (!comment) throw fail('Not Found', c.doc);
      return { status: 200, body: commentObject(comment) };
    },

    'issues/update-comment': (c) => {
      const comment = state.comments.find((x) => x.id === Number(c.params.comment_id));
      if (!comment) throw fail('Not Found', c.doc);
      checkBody(c.doc, 'IssueComment', c.body.body, true);
      comment.body = c.body.body;
      comment.updatedAt = isoSeconds();
      return { status: 200, body: commentObject(comment) };
    },

    'issues/add-labels': (c) => {
      const issue = findIssue(Number(c.params.issue_number), c.doc);
      for (const l of c.body.labels ?? []) {
        if (typeof l === 'object' && l.suggest) continue; // stored as a suggestion, not applied
        const label = ensureLabel(typeof l === 'string' ? l : l.name);
        if (!issue.labels.includes(label.name)) {
          issue.labels.push(label.name);
          state.events.push({ id: nextId(), issueNumber: issue.number, event: 'labeled', label: label.name, actor: selfLogin, createdAt: isoSeconds() });
        }
      }
      issue.updatedAt = isoSeconds();
      return { status: 200, body: issue.labels.map(labelObject) };
    },

    'issues/remove-label': (c) => {
      const issue = findIssue(Number(c.params.issue_number), c.doc);
      const idx = issue.labels.findIndex((l) => l.toLowerCase() === c.params.name.toLowerCase());
      if (idx < 0) throw fail('Label does not exist', c.doc);
      issue.labels.splice(idx, 1);
      issue.updatedAt = isoSeconds();
      return { status: 200, body: issue.labels.map(labelObject) };
    },

    'reactions/create-for-issue': (c) => {
      const n = Number(c.params.issue_number);
      findIssue(n, c.doc);
      return react('issue', n, c);
    },

    'reactions/create-for-issue-comment': (c) => {
      const id = Number(c.params.comment_id);
      if (!state.comments.some((x) => x.id === id)) throw fail('Not Found', c.doc);
      return react('issue_comment', id, c);
    },

    'reactions/create-for-pull-request-review-comment': (c) => {
      const id = Number(c.params.comment_id);
      if (!state.reviewComments.some((x) => x.id === id)) throw fail('Not Found', c.doc);
      return react('pull_request_review_comment', id, c);
    },

    'pulls/get': async (c) => ({ status: 200, body: await pullObject(findPull(Number(c.params.pull_number), c.doc)) }),

    'pulls/list': async (c) => {
      const wanted = c.query.state ?? 'open';
      let list = state.pulls.filter((p) => wanted === 'all' || p.state === wanted);
      // GitHub only applies `head` in the user:ref-name form; a bare branch name is ignored.
      if (typeof c.query.head === 'string' && c.query.head.includes(':')) {
        const [headOwner, ...ref] = c.query.head.split(':');
        list = list.filter(
          (p) => p.headRepoFullName.split('/')[0].toLowerCase() === headOwner.toLowerCase() && p.head === ref.join(':'),
        );
      }
      if (c.query.base) list = list.filter((p) => p.base === c.query.base);
      const sort = c.query.sort ?? 'created';
      const dir = (c.query.direction ?? (sort === 'created' ? 'desc' : 'asc')) === 'desc' ? -1 : 1;
      /** @param {PullRecord} p */
      const key = (p) =>
        sort === 'updated'
          ? p.updatedAt
          : sort === 'popularity'
            ? String(state.comments.filter((x) => x.issueNumber === p.number).length).padStart(8, '0')
            : p.createdAt;
      list = [...list].sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : (a.number - b.number) * dir));
      const page = paginate(list, c);
      return { status: 200, body: await Promise.all(page.body.map((p) => pullObject(p, { simple: true }))), headers: page.headers };
    },

    'pulls/create': async (c) => {
      const b = c.body;
      let headOwner = owner;
      let head = b.head;
      if (head.includes(':')) [headOwner, head] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
      /** @type {IssueRecord|undefined} */
      let fromIssue;
      if (b.issue !== undefined) {
        fromIssue = state.issues.find((i) => i.number === b.issue && !i.isPullRequest);
        if (!fromIssue) throw invalid(c.doc, [{ resource: 'PullRequest', field: 'issue', code: 'invalid' }]);
      }
      if (b.title === undefined && !fromIssue) throw invalid(c.doc, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
      // Cross-repository PRs need a fork we don't model: its branch can't be found.
      const headSha = headOwner.toLowerCase() === owner.toLowerCase() ? await git.refTarget(`refs/heads/${head}`) : null;
      if (!headSha) throw invalid(c.doc, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      const baseSha = await git.refTarget(`refs/heads/${b.base}`);
      if (!baseSha) throw invalid(c.doc, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      const refuseDuplicate = () => {
        const dup = state.pulls.find(
          (p) => p.state === 'open' && p.head === head && p.base === b.base && p.headRepoFullName.toLowerCase() === fullName.toLowerCase(),
        );
        if (dup) {
          throw invalid(c.doc, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${headOwner}:${head}.` }]);
        }
      };
      refuseDuplicate();
      if ((await git.countCommits(baseSha, headSha)) === 0) {
        throw invalid(c.doc, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${b.base} and ${head}` }]);
      }
      checkBody(c.doc, 'PullRequest', b.body);
      refuseDuplicate(); // again: a concurrent create may have won while git ran
      const now = isoSeconds();
      const number = fromIssue ? fromIssue.number : nextNumber();
      /** @type {PullRecord} */
      const p = {
        number,
        id: nextId(),
        title: fromIssue ? fromIssue.title : b.title,
        body: fromIssue ? fromIssue.body : (b.body ?? null),
        labels: fromIssue ? fromIssue.labels : [],
        state: 'open',
        user: selfLogin,
        head,
        base: b.base,
        headRepoFullName: fullName,
        headSha,
        draft: b.draft ?? false,
        maintainerCanModify: b.maintainer_can_modify ?? false,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      };
      state.pulls.push(p);
      if (fromIssue) fromIssue.isPullRequest = true;
      else addIssue({ number, id: nextId(), title: p.title, body: p.body, labels: p.labels, user: p.user, state: 'open', isPullRequest: true, createdAt: now, updatedAt: now, closedAt: null });
      // GitHub keeps refs/pull/<n>/head in the base repository; checkouts fetch it.
      await git.updateRef(`refs/pull/${number}/head`, headSha).catch(() => undefined);
      const body = await pullObject(p);
      return { status: 201, body, headers: { location: body.url } };
    },

    'pulls/update': async (c) => {
      const p = findPull(Number(c.params.pull_number), c.doc);
      const b = c.body ?? {};
      if (b.base !== undefined && !(await git.refTarget(`refs/heads/${b.base}`))) {
        throw invalid(c.doc, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      }
      if (b.state === 'open' && p.state === 'closed') {
        const dup = state.pulls.find((x) => x !== p && x.state === 'open' && x.head === p.head && x.base === (b.base ?? p.base) && x.headRepoFullName === p.headRepoFullName);
        if (dup) {
          const headOwner = p.headRepoFullName.split('/')[0];
          throw invalid(c.doc, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${headOwner}:${p.head}.` }]);
        }
      }
      checkBody(c.doc, 'PullRequest', b.body);
      const now = isoSeconds();
      if (b.title !== undefined) p.title = b.title;
      if (b.body !== undefined) p.body = b.body;
      if (b.base !== undefined) p.base = b.base;
      if (b.maintainer_can_modify !== undefined) p.maintainerCanModify = b.maintainer_can_modify;
      if (b.state !== undefined && b.state !== p.state) {
        p.state = b.state;
        p.closedAt = b.state === 'closed' ? now : null;
      }
      p.updatedAt = now;
      syncIssue(p);
      return { status: 200, body: await pullObject(p) };
    },

    'pulls/list-review-comments': (c) => {
      const n = Number(c.params.pull_number);
      findPull(n, c.doc);
      const page = paginate(sortAndFilter(state.reviewComments.filter((x) => x.pullNumber === n), c), c);
      return { status: 200, body: page.body.map(reviewCommentObject), headers: page.headers };
    },

    'pulls/get-review': (c) => {
      const r = state.reviews.find((x) => x.id === Number(c.params.review_id) && x.pullNumber === Number(c.params.pull_number));
      if (!r) throw fail('Not Found', c.doc);
      return { status: 200, body: reviewObject(r) };
    },

    'pulls/list-comments-for-review': (c) => {
      const n = Number(c.params.pull_number);
      const r = state.reviews.find((x) => x.id === Number(c.params.review_id) && x.pullNumber === n);
      if (!r) throw fail('Not Found', c.doc);
      const list = state.reviewComments.filter((x) => x.reviewId === r.id).sort((a, b) => a.id - b.id);
      const page = paginate(list, c);
      return { status: 200, body: page.body.map(reviewCommentObject), headers: page.headers };
    },

    'pulls/create-reply-for-review-comment': async (c) => {
      const n = Number(c.params.pull_number);
      const p = findPull(n, c.doc);
      const parent = state.reviewComments.find((x) => x.id === Number(c.params.comment_id) && x.pullNumber === n);
      if (!parent) throw fail('Not Found', c.doc);
      checkBody(c.doc, 'PullRequestReviewComment', c.body.body);
      // Replies attach to the thread's first comment, and each reply is its own review.
      const root = parent.inReplyTo ? (state.reviewComments.find((x) => x.id === parent.inReplyTo) ?? parent) : parent;
      const now = isoSeconds();
      const commitId = await refreshHead(p);
      /** @type {ReviewRecord} */
      const review = { id: nextId(), pullNumber: n, user: selfLogin, body: '', state: 'COMMENTED', commitId, submittedAt: now };
      state.reviews.push(review);
      /** @type {ReviewCommentRecord} */
      const reply = {
        id: nextId(),
        pullNumber: n,
        reviewId: review.id,
        path: root.path,
        line: root.line,
        diffHunk: root.diffHunk,
        body: c.body.body,
        user: selfLogin,
        inReplyTo: root.id,
        commitId: root.commitId,
        createdAt: now,
        updatedAt: now,
      };
      state.reviewComments.push(reply);
      const body = reviewCommentObject(reply);
      return { status: 201, body, headers: { location: body.url } };
    },
  };

  // ---- seeds ----------------------------------------------------------------------------

  /** @param {IssueRecord} i */
  function addIssue(i) {
    if (state.issues.some((x) => x.number === i.number)) throw new Error(`startFakeGitHub: number #${i.number} is used twice`);
    state.issues.push(i);
    for (const l of i.labels) ensureLabel(l);
  }

  for (const id of [
    ...(options.comments ?? []).map((x) => x.id),
    ...(options.reviews ?? []).map((x) => x.id),
    ...(options.reviewComments ?? []).map((x) => x.id),
  ]) {
    if (id !== undefined) maxId = Math.max(maxId, id);
  }
  for (const l of options.labels ?? []) ensureLabel(l.name, l);
  const seedTime = isoSeconds();
  for (const s of options.issues ?? []) {
    addIssue({
      number: s.number,
      id: nextId(),
      title: s.title,
      body: s.body ?? null,
      labels: [...(s.labels ?? [])],
      user: s.user ?? owner,
      state: s.state ?? 'open',
      isPullRequest: false,
      createdAt: s.createdAt ?? seedTime,
      updatedAt: s.createdAt ?? seedTime,
      closedAt: s.state === 'closed' ? seedTime : null,
    });
    for (const label of s.labels ?? []) {
      state.events.push({ id: nextId(), issueNumber: s.number, event: 'labeled', label, actor: s.labeledBy?.[label] ?? s.user ?? owner, createdAt: s.createdAt ?? seedTime });
    }
  }
  for (const s of options.pulls ?? []) {
    const headRepoFullName = s.headRepoFullName ?? fullName;
    const sameRepo = headRepoFullName.toLowerCase() === fullName.toLowerCase();
    const headSha =
      (sameRepo ? await git.refTarget(`refs/heads/${s.head}`) : null) ??
      (await git.refTarget(`refs/pull/${s.number}/head`)) ??
      s.headSha ??
      null;
    if (!headSha) {
      throw new Error(`startFakeGitHub: PR #${s.number}: no refs/heads/${s.head} or refs/pull/${s.number}/head in originDir, and no headSha`);
    }
    if (!(await git.refTarget(`refs/pull/${s.number}/head`))) {
      await git.updateRef(`refs/pull/${s.number}/head`, headSha).catch(() => undefined);
    }
    const labels = [...(s.labels ?? [])];
    /** @type {PullRecord} */
    const p = {
      number: s.number,
      id: nextId(),
      title: s.title,
      body: s.body ?? null,
      labels,
      state: s.state ?? 'open',
      user: s.user ?? (sameRepo ? owner : headRepoFullName.split('/')[0]),
      head: s.head,
      base: s.base ?? defaultBranch,
      headRepoFullName,
      headSha,
      draft: s.draft ?? false,
      maintainerCanModify: !sameRepo,
      createdAt: seedTime,
      updatedAt: seedTime,
      closedAt: s.state === 'closed' ? seedTime : null,
    };
    addIssue({ number: p.number, id: nextId(), title: p.title, body: p.body, labels, user: p.user, state: p.state, isPullRequest: true, createdAt: seedTime, updatedAt: seedTime, closedAt: p.closedAt });
    state.pulls.push(p);
  }
  for (const s of options.comments ?? []) {
    if (!state.issues.some((i) => i.number === s.issueNumber)) throw new Error(`startFakeGitHub: comment on unknown #${s.issueNumber}`);
    state.comments.push({ id: takeId(s.id), issueNumber: s.issueNumber, body: s.body, user: s.user ?? owner, createdAt: seedTime, updatedAt: seedTime });
  }
  for (const s of options.reviews ?? []) {
    const p = state.pulls.find((x) => x.number === s.pullNumber);
    if (!p) throw new Error(`startFakeGitHub: review on unknown PR #${s.pullNumber}`);
    state.reviews.push({ id: takeId(s.id), pullNumber: s.pullNumber, user: s.user ?? owner, body: s.body ?? '', state: s.state ?? 'COMMENTED', commitId: s.commitId ?? p.headSha, submittedAt: seedTime });
  }
  for (const s of options.reviewComments ?? []) {
    const p = state.pulls.find((x) => x.number === s.pullNumber);
    if (!p) throw new Error(`startFakeGitHub: review comment on unknown PR #${s.pullNumber}`);
    const user = s.user ?? owner;
    let review = s.reviewId !== undefined ? state.reviews.find((r) => r.id === s.reviewId) : undefined;
    if (!review) {
      review = { id: takeId(s.reviewId), pullNumber: s.pullNumber, user, body: '', state: 'COMMENTED', commitId: s.commitId ?? p.headSha, submittedAt: seedTime };
      state.reviews.push(review);
    }
    state.reviewComments.push({
      id: takeId(s.id),
      pullNumber: s.pullNumber,
      reviewId: review.id,
      path: s.path,
      line: s.line ?? null,
      diffHunk: s.diffHunk ?? '@@ -1 +1 @@',
      body: s.body,
      user,
      inReplyTo: s.inReplyTo ?? null,
      commitId: s.commitId ?? p.headSha,
      createdAt: seedTime,
      updatedAt: seedTime,
    });
  }

  // ---- 5. Server --------------------------------------------------------------------------

  /** @param {string} message */
  const violate = (message) => {
    violations.push(message);
  };

  /**
   * Runs one request through routing, validation, failure injection, the handler and
   * response validation.
   * @param {http.IncomingMessage} req @param {Call} call @param {Buffer} raw
   * @returns {Promise<Result>}
   */
  async function dispatch(req, call, raw) {
    const method = call.method.toLowerCase();
    const parsedUrl = new URL(req.url ?? '/', 'http://fake');
    const rawQuery = parsedUrl.search.replace(/^\?/, '');
    const what = `${call.method} ${call.path}${parsedUrl.search}`;

    /** @type {any} */
    let body;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        violate(`${what}: request body is not JSON`);
        return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } };
      }
    }
    call.body = body;

    // Link headers use /repositories/<id>/...: route them like /repos/<owner>/<repo>/...
    let routedPath = parsedUrl.pathname;
    const byId = routedPath.match(/^\/repositories\/(\d+)(\/.*)?$/);
    if (byId) {
      if (Number(byId[1]) !== thisRepoId) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
      routedPath = `/repos/${owner}/${repo}${byId[2] ?? ''}`;
    }
    const routed = await engine.route({ method, path: routedPath, headers: req.headers, query: rawQuery, body });
    if (!routed.operationId) {
      violate(`${what}: no such operation in the GitHub REST description (subset)`);
      return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
    }
    const operationId = routed.operationId;
    call.operationId = operationId;
    const doc = routed.docUrl ?? DOCS;
    /** @type {Record<string, string>} */
    const params = {};
    for (const [k, v] of Object.entries(routed.params)) params[k] = safeDecode(String(v));
    call.params = params;

    if (!req.headers.authorization) {
      return { status: 401, body: { message: 'Requires authentication', documentation_url: doc, status: '401' } };
    }

    if (routed.errors.length) {
      const details = routed.errors.join('; ');
      violate(`${what} (${operationId}): invalid request: ${details}`);
      return { status: 422, body: { message: `Invalid request.\n\n${details}`, documentation_url: doc, status: '422' } };
    }

    if (params.owner !== undefined && (params.owner.toLowerCase() !== owner.toLowerCase() || params.repo.toLowerCase() !== repo.toLowerCase())) {
      return { status: 404, body: { message: 'Not Found', documentation_url: doc, status: '404' } };
    }

    const queued = failures.get(operationId);
    if (queued?.length) {
      const f = queued[0];
      if (--f.times <= 0) queued.shift();
      const fbody = f.body ?? defaultErrorBody(f.status, f.headers, doc);
      return typeof fbody === 'string'
        ? { status: f.status, raw: Buffer.from(fbody), contentType: 'text/html; charset=utf-8', headers: f.headers }
        : { status: f.status, body: fbody, headers: f.headers };
    }

    /** @type {Result} */
    let result;
    const handler = mockOps.has(operationId) ? undefined : handlers[operationId];
    try {
      if (handler) {
        result = await handler({ doc, params, query: routed.query, rawQuery, routedPath: routed.routedPath, body, headers: req.headers });
      } else {
        // No state behind this operation: answer with the spec's own example.
        const { status, mock } = await engine.mock(operationId);
        result = { status, body: mock };
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      result = { status: err.status, body: err.body, headers: err.headers };
    }

    if (result.body !== undefined && result.raw === undefined) {
      const errors = await engine.validateResponse(operationId, result.status, result.body);
      if (errors.length) {
        const details = errors.slice(0, 5).join('; ');
        violate(`${what} (${operationId}): the fake produced an invalid ${result.status} response: ${details}`);
      }
    }
    return result;
  }

  // Acquired last, so that a failing seed does not leave it acquired.
  const engine = await openApiEngine();

  let served = 0;
  const server = http.createServer((req, res) => {
    const parsedUrl = new URL(req.url ?? '/', 'http://fake');
    /** @type {Call} */
    const call = {
      operationId: null,
      method: (req.method ?? 'GET').toUpperCase(),
      path: parsedUrl.pathname,
      query: Object.fromEntries(parsedUrl.searchParams),
      body: undefined,
      status: 0,
      auth: req.headers.authorization,
      params: {},
      headers: req.headers,
      at: Date.now(),
    };
    calls.push(call);
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      /** @type {Result} */
      let result;
      try {
        result = await dispatch(req, call, Buffer.concat(chunks));
      } catch (err) {
        violate(`${call.method} ${call.path}: the fake threw: ${err instanceof Error ? err.stack : String(err)}`);
        result = { status: 500, body: { message: 'Server Error', documentation_url: DOCS, status: '500' } };
      }
      served += 1;
      call.status = result.status;
      const reset = Math.floor(Date.now() / 1000) + 3600;
      /** @type {Record<string, string>} */
      const out = {
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': `FAKE:${String(served).padStart(6, '0')}`,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(Math.max(0, 5000 - served)),
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-used': String(served),
        'x-ratelimit-resource': 'core',
        ...(result.headers ?? {}),
      };
      if (result.raw !== undefined) {
        res.writeHead(result.status, { ...out, 'content-type': result.contentType ?? 'application/octet-stream' });
        res.end(result.raw);
      } else if (result.body === undefined || result.status === 204) {
        res.writeHead(result.status, out);
        res.end();
      } else {
        res.writeHead(result.status, { ...out, 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(result.body));
      }
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', (err) => {
      engine.release();
      reject(err);
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    serverUrl,
    owner,
    repo,
    repoId: thisRepoId,
    calls,
    violations,
    writes: () => calls.filter((c) => c.method !== 'GET'),
    state,
    failNext(operationId, spec = {}) {
      if (!engine.operationIds.includes(operationId)) throw new Error(`failNext: unknown operationId ${operationId}`);
      const list = failures.get(operationId) ?? [];
      list.push({ status: spec.status ?? 500, headers: spec.headers ?? {}, body: spec.body, times: spec.times ?? 1 });
      failures.set(operationId, list);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          engine.release();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** Percent-encodes each segment of a slash-separated path. @param {string} p */
function encodePath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** @param {string} s */
function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

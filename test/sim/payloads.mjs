// @ts-check
/**
 * Webhook payloads for GITHUB_EVENT_PATH, built from GitHub's real examples
 * (@octokit/webhooks-examples, api.github.com/index.json).
 *
 * Each builder deep-copies one real example and edits only what a scenario needs: the
 * repository (owner, name, default branch, and every URL that names it), the numbers, bodies,
 * refs and shas, and the users. Everything else stays as GitHub sent it. The 2024 examples
 * predate a few fields the current schemas require; `fillRequired` adds those with the value
 * GitHub sends for a plain case (null/false), so every builder's output validates against the
 * webhook schemas in GitHub's own description (test/sim/openapi/webhooks.subset.json, see
 * `validateWebhookPayload`).
 *
 * Ids of users and repositories come from test/sim/github.mjs, so a payload and the fake
 * GitHub agree on them. Comment and review ids must be given (or seeded) to match the fake.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { userId, repoId, nodeId as nodeIdFor, hash32, openApiEngine } from './github.mjs';

const require = createRequire(import.meta.url);

/**
 * Which example each builder starts from: name in index.json, index in `examples`, and the
 * action it must have (checked, in case a new package version reorders them).
 */
export const EXAMPLES = Object.freeze({
  issuesLabeled: { name: 'issues', index: 9, action: 'labeled' },
  pullRequestLabeled: { name: 'pull_request', index: 8, action: 'labeled' },
  // [2]: the plain issue_comment example without an organization; [0] lacks performed_via_github_app
  issueCommentCreated: { name: 'issue_comment', index: 2, action: 'created' },
  // [1]: has `line` (and `installation`); [0] has only `position`
  pullRequestReviewCommentCreated: { name: 'pull_request_review_comment', index: 1, action: 'created' },
  pullRequestReviewSubmitted: { name: 'pull_request_review', index: 0, action: 'submitted' },
  workflowDispatch: { name: 'workflow_dispatch', index: 0, action: undefined },
});

/** Schema names (keys of x-webhooks) for each builder, for `validateWebhookPayload`. */
export const WEBHOOK_SCHEMAS = Object.freeze({
  issuesLabeled: 'issues-labeled',
  pullRequestLabeled: 'pull-request-labeled',
  issueCommentCreated: 'issue-comment-created',
  pullRequestReviewCommentCreated: 'pull-request-review-comment-created',
  pullRequestReviewSubmitted: 'pull-request-review-submitted',
  workflowDispatch: 'workflow-dispatch',
});

const GH = 'https://github.com';
const API = 'https://api.github.com';

/** @type {any[]|undefined} */
let index;

/**
 * A deep copy of one example from @octokit/webhooks-examples.
 * @param {string} name event name, e.g. "issue_comment"
 * @param {number} i index in its `examples`
 * @param {string} [action] expected `action`
 * @returns {any}
 */
export function webhookExample(name, i, action) {
  index ??= JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'));
  const def = /** @type {any[]} */ (index).find((d) => d.name === name);
  const ex = def?.examples?.[i];
  if (!ex) throw new Error(`@octokit/webhooks-examples: no ${name} example #${i}`);
  if (action !== undefined && ex.action !== action) {
    throw new Error(`@octokit/webhooks-examples: ${name} example #${i} is "${ex.action}", expected "${action}"`);
  }
  return structuredClone(ex);
}

// ---------------------------------------------------------------------------------------
// Shared editing helpers
// ---------------------------------------------------------------------------------------

/**
 * @typedef {object} RepoOptions
 * @property {string} [owner]          default 'Codertocat'
 * @property {string} [repo]           default 'Hello-World'
 * @property {string} [defaultBranch]  default 'main'
 * @property {string} [serverUrl]      default 'https://github.com' (html_url, clone_url, ...)
 * @property {string} [apiUrl]         default 'https://api.github.com' (url, *_url)
 *
 * @typedef {{ owner: string, repo: string, full: string, defaultBranch: string, serverUrl: string, apiUrl: string,
 *   apiRepo: string, htmlRepo: string }} Ctx
 */

/** @param {RepoOptions} o @returns {Ctx} */
function context(o) {
  const owner = o.owner ?? 'Codertocat';
  const repo = o.repo ?? 'Hello-World';
  const full = `${owner}/${repo}`;
  return {
    owner,
    repo,
    full,
    defaultBranch: o.defaultBranch ?? 'main',
    serverUrl: (o.serverUrl ?? GH).replace(/\/$/, ''),
    apiUrl: (o.apiUrl ?? API).replace(/\/$/, ''),
    // URLs are built against github.com and re-hosted at the end (see `finish`)
    apiRepo: `${API}/repos/${full}`,
    htmlRepo: `${GH}/${full}`,
  };
}

/**
 * Applies `fn` to every string in a JSON value.
 * @param {any} node @param {(s: string) => string} fn @returns {any}
 */
function mapStrings(node, fn) {
  if (typeof node === 'string') return fn(node);
  if (Array.isArray(node)) return node.map((x) => mapStrings(x, fn));
  if (node && typeof node === 'object') {
    for (const k of Object.keys(node)) node[k] = mapStrings(node[k], fn);
  }
  return node;
}

/**
 * Rewrites every URL naming repository `from` (".../Codertocat/Hello-World/...",
 * "git@github.com:Codertocat/Hello-World.git") to name `to` instead.
 * @param {any} node @param {string} from @param {string} to
 */
function renameInUrls(node, from, to) {
  if (from === to) return node;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`([/:])${escaped}(?=$|[/.{#?])`, 'g');
  return mapStrings(node, (s) => (/^(https?:|git[:@])/.test(s) ? s.replace(re, `$1${to}`) : s));
}

/**
 * Moves the example to another repository: every URL naming the example's repository is
 * rewritten, then the repository object itself is edited.
 * @param {any} payload @param {Ctx} c
 */
function retargetRepository(payload, c) {
  renameInUrls(payload, payload.repository.full_name, c.full);
  editRepository(payload.repository, c, c.full);
}

/**
 * @param {any} r a repository object from the example @param {Ctx} c @param {string} fullName
 */
function editRepository(r, c, fullName) {
  const [owner, name] = fullName.split('/');
  r.id = repoId(fullName);
  r.node_id = nodeIdFor('Repository', r.id);
  r.name = name;
  r.full_name = fullName;
  r.owner = user(r.owner, owner, r.owner?.type === 'Organization' && owner === r.owner.login ? 'Organization' : 'User');
  r.default_branch = c.defaultBranch;
  if ('master_branch' in r) r.master_branch = c.defaultBranch;
  return r;
}

/**
 * A user object shaped like `template` for another login. Bots get GitHub's bot shape.
 * @param {any} template @param {string} login @param {string} [type] 'User' | 'Bot' | 'Organization'
 */
function user(template, login, type) {
  const u = structuredClone(template);
  const old = u.login;
  // The example's own user, when it already agrees with the fake GitHub's ids: untouched.
  if (login === old && (type === undefined || type === u.type) && u.id === userId(login)) return u;
  const isBot = type === 'Bot' || login.endsWith('[bot]');
  const id = userId(login);
  const enc = encodeURIComponent(login);
  for (const [k, v] of Object.entries(u)) {
    if (typeof v === 'string' && k.endsWith('url')) u[k] = v.split(`/users/${old}`).join(`/users/${enc}`);
  }
  u.login = login;
  u.id = id;
  u.node_id = nodeIdFor(isBot ? 'Bot' : type === 'Organization' ? 'Organization' : 'User', id);
  u.avatar_url = `https://avatars.githubusercontent.com/${isBot ? 'in/15368' : `u/${id}`}?v=4`;
  u.html_url = isBot ? `${GH}/apps/${login.replace(/\[bot\]$/, '')}` : `${GH}/${login}`;
  u.type = isBot ? 'Bot' : (type ?? 'User');
  u.site_admin = false;
  return u;
}

/**
 * A label object shaped like `template`.
 * @param {any} template @param {string} name @param {Ctx} c
 */
function label(template, name, c) {
  const l = structuredClone(template);
  if (l.name !== name) {
    l.id = 1_000_000_000 + (hash32(`label:${c.full}:${name}`) % 1_000_000_000);
    l.node_id = nodeIdFor('Label', l.id);
    l.name = name;
    l.color = 'ededed';
    l.default = false;
    l.description = null;
  }
  l.url = `${c.apiRepo}/labels/${encodeURIComponent(name)}`;
  return l;
}

/**
 * Sets number and URLs of an issue object (the issue side of a PR too).
 * @param {any} issue @param {Ctx} c @param {number} n @param {boolean} isPr
 */
function editIssue(issue, c, n, isPr) {
  const a = `${c.apiRepo}/issues/${n}`;
  issue.number = n;
  issue.url = a;
  issue.repository_url = c.apiRepo;
  issue.labels_url = `${a}/labels{/name}`;
  issue.comments_url = `${a}/comments`;
  issue.events_url = `${a}/events`;
  issue.html_url = `${c.htmlRepo}/${isPr ? 'pull' : 'issues'}/${n}`;
  if ('timeline_url' in issue) issue.timeline_url = `${a}/timeline`;
  if (issue.reactions) issue.reactions.url = `${a}/reactions`;
  if (isPr) {
    issue.pull_request = {
      url: `${c.apiRepo}/pulls/${n}`,
      html_url: `${c.htmlRepo}/pull/${n}`,
      diff_url: `${c.htmlRepo}/pull/${n}.diff`,
      patch_url: `${c.htmlRepo}/pull/${n}.patch`,
      merged_at: null,
    };
  } else {
    delete issue.pull_request;
  }
}

/**
 * @typedef {object} PullEdit
 * @property {number} number
 * @property {string} [title]
 * @property {string|null} [body]
 * @property {string} [author]
 * @property {string} [headRef]
 * @property {string} [headSha]
 * @property {string} [baseRef]
 * @property {string} [baseSha]
 * @property {string|boolean} [fork]   true: fork owned by the author; "owner" or "owner/name"
 * @property {boolean} [draft]
 */

/**
 * Edits a pull_request object: number, URLs, head/base, author.
 * @param {any} payload the whole payload (its repository is the base repository)
 * @param {Ctx} c @param {PullEdit} e
 */
function editPull(payload, c, e) {
  const pr = payload.pull_request;
  const n = e.number;
  const a = `${c.apiRepo}/pulls/${n}`;
  const html = `${c.htmlRepo}/pull/${n}`;
  const issue = `${c.apiRepo}/issues/${n}`;
  const author = e.author ?? pr.user.login;
  const headSha = e.headSha ?? pr.head.sha;
  Object.assign(pr, {
    url: a,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${a}/commits`,
    review_comments_url: `${a}/comments`,
    review_comment_url: `${c.apiRepo}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${c.apiRepo}/statuses/${headSha}`,
    number: n,
  });
  if (e.title !== undefined) pr.title = e.title;
  if (e.body !== undefined) pr.body = e.body;
  if (e.draft !== undefined) pr.draft = e.draft;
  pr.user = user(pr.user, author);
  pr._links = {
    ...pr._links,
    self: { href: a },
    html: { href: html },
    issue: { href: issue },
    comments: { href: `${issue}/comments` },
    review_comments: { href: `${a}/comments` },
    review_comment: { href: `${c.apiRepo}/pulls/comments{/number}` },
    commits: { href: `${a}/commits` },
    statuses: { href: `${c.apiRepo}/statuses/${headSha}` },
  };

  // head.repo and base.repo keep the example's own repository objects (already moved to the
  // target repository by `retargetRepository`); a fork's head repository is moved again.
  const baseRef = e.baseRef ?? c.defaultBranch;
  pr.base.label = `${c.owner}:${baseRef}`;
  pr.base.ref = baseRef;
  if (e.baseSha !== undefined) pr.base.sha = e.baseSha;
  pr.base.user = user(pr.base.user, c.owner);
  editRepository(pr.base.repo, c, c.full);

  const headRef = e.headRef ?? pr.head.ref;
  let headOwner = c.owner;
  let headRepo = pr.head.repo;
  if (e.fork) {
    const forkName = typeof e.fork === 'string' ? (e.fork.includes('/') ? e.fork : `${e.fork}/${c.repo}`) : `${author}/${c.repo}`;
    headOwner = forkName.split('/')[0];
    renameInUrls(headRepo, c.full, forkName);
    editRepository(headRepo, c, forkName);
    headRepo.fork = true;
  } else {
    editRepository(headRepo, c, c.full);
  }
  pr.head.label = `${headOwner}:${headRef}`;
  pr.head.ref = headRef;
  pr.head.sha = headSha;
  pr.head.user = user(pr.head.user, headOwner);
  pr.head.repo = headRepo;
}

/**
 * Fields the current webhook schemas require that the 2024 examples lack, with the value
 * GitHub sends in the plain case. Only added when absent.
 * @param {any} payload
 */
function fillRequired(payload) {
  /** @param {any} r */
  const repo = (r) => {
    if (!r || typeof r !== 'object') return;
    r.has_discussions ??= false;
    r.topics ??= [];
    r.visibility ??= r.private ? 'private' : 'public';
  };
  repo(payload.repository);
  const pr = payload.pull_request;
  if (pr) {
    pr.draft ??= false;
    pr.auto_merge ??= null;
    pr.active_lock_reason ??= null;
    repo(pr.head?.repo);
    repo(pr.base?.repo);
  }
  if (payload.comment) {
    payload.comment.performed_via_github_app ??= null;
    if ('diff_hunk' in payload.comment) {
      payload.comment.start_line ??= null;
      payload.comment.original_start_line ??= null;
      payload.comment.start_side ??= null;
    }
  }
  if (payload.issue) payload.issue.performed_via_github_app ??= null;
}

/**
 * Last step of every builder: required fields, then the hosts of all URLs.
 * @param {any} payload @param {Ctx} c
 */
function finish(payload, c) {
  fillRequired(payload);
  if (c.apiUrl !== API || c.serverUrl !== GH) {
    mapStrings(payload, (s) => {
      if (s.startsWith(API)) return c.apiUrl + s.slice(API.length);
      if (s === GH || s.startsWith(`${GH}/`)) return c.serverUrl + s.slice(GH.length);
      return s;
    });
  }
  return payload;
}

/** author_association GitHub would compute for a login without more information. @param {Ctx} c @param {string} login */
function association(c, login) {
  return login.toLowerCase() === c.owner.toLowerCase() ? 'OWNER' : 'NONE';
}

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

/**
 * issues.labeled
 * @param {RepoOptions & { number?: number, title?: string, body?: string|null, label?: string,
 *   labels?: string[], sender?: string, senderType?: 'User'|'Bot'|'Organization', author?: string }} [o]
 *   `labels`: every label on the issue after the event (default [label]); `label`: the one
 *   just added (default the last of `labels`). `author` defaults to `sender`.
 */
export function issuesLabeled(o = {}) {
  const ex = EXAMPLES.issuesLabeled;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  const sender = o.sender ?? c.owner;
  const names = o.labels ?? [o.label ?? p.label.name];
  const added = o.label ?? names[names.length - 1];
  if (!names.includes(added)) names.push(added);
  const template = p.label;
  p.label = label(template, added, c);
  p.issue.labels = names.map((n) => label(template, n, c));
  editIssue(p.issue, c, o.number ?? p.issue.number, false);
  if (o.title !== undefined) p.issue.title = o.title;
  if (o.body !== undefined) p.issue.body = o.body;
  const author = o.author ?? sender;
  p.issue.user = user(p.issue.user, author);
  p.issue.author_association = association(c, author);
  p.sender = user(p.sender, sender, o.senderType);
  return finish(p, c);
}

/**
 * pull_request.labeled
 * @param {RepoOptions & { number?: number, label?: string, labels?: string[], headRef?: string,
 *   headSha?: string, baseRef?: string, baseSha?: string, fork?: boolean|string, sender?: string,
 *   senderType?: 'User'|'Bot', author?: string, title?: string, body?: string|null, draft?: boolean }} [o]
 */
export function pullRequestLabeled(o = {}) {
  const ex = EXAMPLES.pullRequestLabeled;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  const sender = o.sender ?? c.owner;
  const number = o.number ?? p.number;
  p.number = number;
  editPull(p, c, { ...o, number, author: o.author ?? sender });
  const names = o.labels ?? [o.label ?? p.label.name];
  const added = o.label ?? names[names.length - 1];
  if (!names.includes(added)) names.push(added);
  const template = p.label;
  p.label = label(template, added, c);
  p.pull_request.labels = names.map((n) => label(template, n, c));
  p.pull_request.author_association = association(c, p.pull_request.user.login);
  p.sender = user(p.sender, sender, o.senderType);
  return finish(p, c);
}

/**
 * issue_comment.created, on an issue or (onPullRequest) on a pull request.
 * @param {RepoOptions & { number?: number, body?: string, commentId?: number, sender?: string,
 *   senderType?: 'User'|'Bot', onPullRequest?: boolean, issueTitle?: string, issueBody?: string|null,
 *   issueAuthor?: string, labels?: string[], authorAssociation?: string }} [o]
 */
export function issueCommentCreated(o = {}) {
  const ex = EXAMPLES.issueCommentCreated;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  const sender = o.sender ?? c.owner;
  const n = o.number ?? p.issue.number;
  const isPr = o.onPullRequest ?? false;
  editIssue(p.issue, c, n, isPr);
  if (o.issueTitle !== undefined) p.issue.title = o.issueTitle;
  if (o.issueBody !== undefined) p.issue.body = o.issueBody;
  if (o.issueAuthor !== undefined) {
    p.issue.user = user(p.issue.user, o.issueAuthor);
    p.issue.author_association = association(c, o.issueAuthor);
  } else {
    p.issue.user = user(p.issue.user, p.issue.user.login === p.sender.login ? c.owner : p.issue.user.login);
  }
  if (o.labels) {
    const template = p.issue.labels[0] ?? { id: 1, node_id: '', url: '', name: '', color: 'ededed', default: false, description: null };
    p.issue.labels = o.labels.map((name) => label(template, name, c));
  }
  const id = o.commentId ?? p.comment.id;
  const cm = p.comment;
  cm.id = id;
  cm.node_id = nodeIdFor('IssueComment', id);
  cm.url = `${c.apiRepo}/issues/comments/${id}`;
  cm.html_url = `${c.htmlRepo}/${isPr ? 'pull' : 'issues'}/${n}#issuecomment-${id}`;
  cm.issue_url = `${c.apiRepo}/issues/${n}`;
  if (cm.reactions) cm.reactions.url = `${cm.url}/reactions`;
  if (o.body !== undefined) cm.body = o.body;
  cm.user = user(cm.user, sender, o.senderType);
  cm.author_association = o.authorAssociation ?? association(c, sender);
  p.sender = user(p.sender, sender, o.senderType);
  return finish(p, c);
}

/**
 * pull_request_review_comment.created
 * @param {RepoOptions & { number?: number, body?: string, commentId?: number, reviewId?: number,
 *   inReplyTo?: number, path?: string, line?: number|null, diffHunk?: string, headRef?: string,
 *   headSha?: string, baseRef?: string, baseSha?: string, fork?: boolean|string, sender?: string,
 *   senderType?: 'User'|'Bot', author?: string, title?: string, authorAssociation?: string }} [o]
 *   `author` is the PR's author (default: the repository owner).
 */
export function pullRequestReviewCommentCreated(o = {}) {
  const ex = EXAMPLES.pullRequestReviewCommentCreated;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  const sender = o.sender ?? c.owner;
  const n = o.number ?? p.pull_request.number;
  editPull(p, c, { ...o, number: n, author: o.author ?? c.owner });
  const id = o.commentId ?? p.comment.id;
  const sha = p.pull_request.head.sha;
  const cm = p.comment;
  const url = `${c.apiRepo}/pulls/comments/${id}`;
  const html = `${c.htmlRepo}/pull/${n}#discussion_r${id}`;
  const pr = `${c.apiRepo}/pulls/${n}`;
  Object.assign(cm, {
    url,
    id,
    node_id: nodeIdFor('PullRequestReviewComment', id),
    pull_request_review_id: o.reviewId ?? cm.pull_request_review_id,
    commit_id: sha,
    original_commit_id: sha,
    html_url: html,
    pull_request_url: pr,
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pr } },
  });
  if (cm.reactions) cm.reactions.url = `${url}/reactions`;
  if (o.body !== undefined) cm.body = o.body;
  if (o.path !== undefined) cm.path = o.path;
  if (o.diffHunk !== undefined) cm.diff_hunk = o.diffHunk;
  if (o.line !== undefined) {
    cm.line = o.line;
    cm.original_line = o.line;
  }
  if (o.inReplyTo !== undefined) cm.in_reply_to_id = o.inReplyTo;
  cm.user = user(cm.user, sender, o.senderType);
  cm.author_association = o.authorAssociation ?? association(c, sender);
  p.pull_request.author_association = association(c, p.pull_request.user.login);
  p.sender = user(p.sender, sender, o.senderType);
  return finish(p, c);
}

/**
 * pull_request_review.submitted
 * @param {RepoOptions & { number?: number, reviewId?: number, body?: string|null,
 *   state?: 'commented'|'approved'|'changes_requested', headRef?: string, headSha?: string,
 *   baseRef?: string, baseSha?: string, fork?: boolean|string, sender?: string,
 *   senderType?: 'User'|'Bot', author?: string, authorAssociation?: string }} [o]
 */
export function pullRequestReviewSubmitted(o = {}) {
  const ex = EXAMPLES.pullRequestReviewSubmitted;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  const sender = o.sender ?? c.owner;
  const n = o.number ?? p.pull_request.number;
  editPull(p, c, { ...o, number: n, author: o.author ?? c.owner });
  const id = o.reviewId ?? p.review.id;
  const html = `${c.htmlRepo}/pull/${n}#pullrequestreview-${id}`;
  const pr = `${c.apiRepo}/pulls/${n}`;
  Object.assign(p.review, {
    id,
    node_id: nodeIdFor('PullRequestReview', id),
    commit_id: p.pull_request.head.sha,
    html_url: html,
    pull_request_url: pr,
    _links: { html: { href: html }, pull_request: { href: pr } },
  });
  if (o.body !== undefined) p.review.body = o.body;
  if (o.state !== undefined) p.review.state = o.state; // webhooks use lower case, the REST API upper case
  p.review.user = user(p.review.user, sender, o.senderType);
  p.review.author_association = o.authorAssociation ?? association(c, sender);
  p.pull_request.author_association = association(c, p.pull_request.user.login);
  p.sender = user(p.sender, sender, o.senderType);
  return finish(p, c);
}

/**
 * workflow_dispatch. The example belongs to an organization; its `organization` is dropped
 * because the repository is moved to `owner`.
 * @param {RepoOptions & { inputs?: Record<string, unknown>, sender?: string, ref?: string, workflow?: string }} [o]
 *   `ref` defaults to refs/heads/<defaultBranch>.
 */
export function workflowDispatch(o = {}) {
  const ex = EXAMPLES.workflowDispatch;
  const p = webhookExample(ex.name, ex.index, ex.action);
  const c = context(o);
  retargetRepository(p, c);
  delete p.organization;
  p.inputs = o.inputs ?? {};
  p.ref = o.ref ?? `refs/heads/${c.defaultBranch}`;
  if (o.workflow !== undefined) p.workflow = o.workflow;
  p.sender = user(p.sender, o.sender ?? c.owner);
  return finish(p, c);
}

/**
 * schedule: an Actions-only event, not a webhook, so there is no example. Its payload is just
 * the cron expression; `context.repo` comes from GITHUB_REPOSITORY.
 * @param {{ cron?: string }} [o]
 */
export function schedule(o = {}) {
  return { schedule: o.cron ?? '0 3 * * *' };
}

// ---------------------------------------------------------------------------------------
// Validation against GitHub's webhook schemas
// ---------------------------------------------------------------------------------------

export const WEBHOOKS_SPEC_PATH = fileURLToPath(new URL('./openapi/webhooks.subset.json', import.meta.url));

/**
 * Validates a payload against a webhook schema from GitHub's description.
 * @param {string} webhook key of x-webhooks, e.g. 'issue-comment-created' (see WEBHOOK_SCHEMAS)
 * @param {unknown} payload
 * @returns {Promise<string[]>} errors, empty when valid
 */
export async function validateWebhookPayload(webhook, payload) {
  const engine = await openApiEngine({ file: WEBHOOKS_SPEC_PATH, webhooksAsPaths: true });
  try {
    if (!engine.operationIds.length) throw new Error('validateWebhookPayload: no webhooks in the subset');
    const routed = await engine.route({ method: 'post', path: `/${webhook}`, headers: { 'content-type': 'application/json' }, query: '', body: payload });
    if (!routed.operationId) throw new Error(`validateWebhookPayload: unknown webhook ${webhook}`);
    return routed.errors.map((e) => e.replace(/^\/requestBody/, '') || '/');
  } finally {
    engine.release();
  }
}

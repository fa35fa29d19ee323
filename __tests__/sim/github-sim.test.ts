// The fake GitHub REST API (test/sim/github.mjs), driven by the real @octokit/rest client.
// Every test ends with no spec violations unless it is about violations.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import {
  openApiEngine,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from '../../test/sim/github.mjs';

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const R = { owner: OWNER, repo: REPO };

let tmp: string;
let origin: string; // bare repository: the repository's git data
let work: string; // a clone used to push
let gitEnv: Record<string, string>;
const sha: Record<string, string> = {};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

function commitFiles(files: Record<string, string | Buffer>, message: string) {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', message);
}

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const BIG = 'x'.repeat(1024 * 1024 + 1);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'github-sim-test-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  gitEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    GIT_AUTHOR_DATE: '2024-01-02T03:04:05Z',
    GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z',
  };
  origin = path.join(tmp, 'origin.git');
  work = path.join(tmp, 'work');
  git(tmp, 'init', '-q', '--bare', '-b', 'main', origin);
  git(tmp, 'init', '-q', '-b', 'main', work);
  git(work, 'remote', 'add', 'origin', origin);
  commitFiles(
    { 'README.md': '# Hello-World\n', 'src/a b.ts': 'export const x = 1;\n', 'assets/bin.dat': BINARY, 'assets/big.txt': BIG },
    'Initial commit',
  );
  fs.symlinkSync('README.md', path.join(work, 'LINK.md'));
  commitFiles({}, 'Add a symlink');
  git(work, 'push', '-q', 'origin', 'main');
  git(work, 'branch', 'same'); // no commits of its own
  git(work, 'push', '-q', 'origin', 'same');
  git(work, 'checkout', '-q', '-b', 'feature');
  commitFiles({ 'README.md': '# Hello-World\n\nA feature.\n', 'feature.txt': 'new\n' }, 'Add a feature');
  git(work, 'push', '-q', 'origin', 'feature');
  git(work, 'checkout', '-q', '-b', 'claude/pr-1');
  commitFiles({ 'claude.txt': 'agent\n' }, 'Agent work');
  git(work, 'push', '-q', 'origin', 'claude/pr-1');
  // A fork's PR exists only as refs/pull/5/head in the base repository.
  git(work, 'checkout', '-q', '-b', 'fork-work', 'main');
  commitFiles({ 'fork.txt': 'from a fork\n' }, 'Fork work');
  git(work, 'push', '-q', 'origin', 'HEAD:refs/pull/5/head');
  git(work, 'checkout', '-q', 'main');
  for (const ref of ['main', 'same', 'feature', 'claude/pr-1']) sha[ref] = git(origin, 'rev-parse', `refs/heads/${ref}`);
  sha.fork = git(origin, 'rev-parse', 'refs/pull/5/head');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const running: FakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.close()));
});

async function start(options: Partial<FakeGitHubOptions> = {}): Promise<FakeGitHub> {
  const fake = await startFakeGitHub({
    owner: OWNER,
    repo: REPO,
    defaultBranch: 'main',
    originDir: origin,
    permissions: { octocat: 'read', mona: 'maintain', broken: 500 },
    issues: [{ number: 1, title: 'Found a bug', body: 'It is broken.', labels: ['agent:fix'], user: 'octocat' }],
    ...options,
  });
  running.push(fake);
  return fake;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const client = (fake: FakeGitHub, auth: string | null = 'ghs_test') =>
  new Octokit({ ...(auth ? { auth } : {}), baseUrl: fake.url, log: silent });

type Failure = { status: number; message: string; response?: { headers: Record<string, string>; data: any } };
async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    return err as Failure;
  }
  throw new Error('expected the request to fail');
}

describe('identity and repository', () => {
  it('answers GET /user with 403 for an installation token and with the user otherwise', async () => {
    const bot = await start();
    const err = await failure(client(bot).users.getAuthenticated());
    expect(err.status).toBe(403);
    expect(err.response?.data.message).toBe('Resource not accessible by integration');

    const human = await start({ selfLogin: 'octocat' });
    const { data } = await client(human).users.getAuthenticated();
    expect(data.login).toBe('octocat');
    expect(data.id).toBe(583231);
    expect(bot.violations).toEqual([]);
    expect(human.violations).toEqual([]);
  });

  it('serves the repository with its default branch and html URLs under serverUrl', async () => {
    const fake = await start({ defaultBranch: 'main', serverUrl: 'https://ghe.example.com' });
    const { data } = await client(fake).repos.get(R);
    expect(data.default_branch).toBe('main');
    expect(data.full_name).toBe('Codertocat/Hello-World');
    expect(data.id).toBe(fake.repoId);
    expect(data.html_url).toBe('https://ghe.example.com/Codertocat/Hello-World');
    expect(data.url).toBe(`${fake.url}/repos/Codertocat/Hello-World`);
    expect(fake.violations).toEqual([]);
  });

  it('answers 404 for another repository', async () => {
    const fake = await start();
    const err = await failure(client(fake).repos.get({ owner: 'someone', repo: 'else' }));
    expect(err.status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  it('rejects a request without authorization with 401', async () => {
    const fake = await start();
    const err = await failure(client(fake, null).repos.get(R));
    expect(err.status).toBe(401);
    expect(fake.calls[0]).toMatchObject({ operationId: 'repos/get', status: 401, auth: undefined });
  });
});

describe('git data from the bare repository', () => {
  it('reads branches, including names with slashes, and 404s on a missing one', async () => {
    const fake = await start();
    const gh = client(fake);
    const main = await gh.repos.getBranch({ ...R, branch: 'main' });
    expect(main.data.commit.sha).toBe(sha.main);
    expect(main.data.commit.commit.message).toBe('Add a symlink');
    expect(main.data.commit.parents).toHaveLength(1);
    const slashed = await gh.repos.getBranch({ ...R, branch: 'claude/pr-1' });
    expect(slashed.data.commit.sha).toBe(sha['claude/pr-1']);
    const err = await failure(gh.repos.getBranch({ ...R, branch: 'nope' }));
    expect(err.status).toBe(404);
    expect(err.response?.data.message).toBe('Branch not found');
    expect(fake.violations).toEqual([]);
  });

  it('reads refs exactly (encoded or raw slashes) and 404s on prefixes', async () => {
    const fake = await start();
    const gh = client(fake);
    const ref = await gh.git.getRef({ ...R, ref: 'heads/feature' });
    expect(ref.data).toMatchObject({ ref: 'refs/heads/feature', object: { type: 'commit', sha: sha.feature } });
    expect(fake.calls[0].path).toBe('/repos/Codertocat/Hello-World/git/ref/heads%2Ffeature');
    // GitHub also takes the slashes unencoded.
    const raw = await gh.request('GET /repos/Codertocat/Hello-World/git/ref/heads/claude/pr-1');
    expect(raw.data.object.sha).toBe(sha['claude/pr-1']);
    expect(fake.calls[1]).toMatchObject({ operationId: 'git/get-ref', params: { ref: 'heads/claude/pr-1' } });
    expect((await failure(gh.git.getRef({ ...R, ref: 'heads/feat' }))).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  it('serves file contents base64-encoded like GitHub, from the default branch or ?ref=', async () => {
    const fake = await start();
    const gh = client(fake);
    const readme: any = (await gh.repos.getContent({ ...R, path: 'README.md' })).data;
    expect(readme).toMatchObject({ type: 'file', encoding: 'base64', name: 'README.md', path: 'README.md', size: 14 });
    expect(Buffer.from(readme.content, 'base64').toString()).toBe('# Hello-World\n');
    expect(readme.sha).toBe(git(origin, 'rev-parse', 'main:README.md'));
    expect(fake.calls[0].query).toEqual({});

    const onFeature: any = (await gh.repos.getContent({ ...R, path: 'README.md', ref: 'feature' })).data;
    expect(Buffer.from(onFeature.content, 'base64').toString()).toBe('# Hello-World\n\nA feature.\n');

    const bin: any = (await gh.repos.getContent({ ...R, path: 'assets/bin.dat' })).data;
    expect(bin.content.split('\n').every((line: string) => line.length <= 60)).toBe(true);
    expect(Buffer.from(bin.content, 'base64').equals(BINARY)).toBe(true);

    const spaced: any = (await gh.repos.getContent({ ...R, path: 'src/a b.ts' })).data;
    expect(Buffer.from(spaced.content, 'base64').toString()).toBe('export const x = 1;\n');
    expect(spaced.html_url).toBe('https://github.com/Codertocat/Hello-World/blob/main/src/a%20b.ts');

    const big: any = (await gh.repos.getContent({ ...R, path: 'assets/big.txt' })).data;
    expect(big).toMatchObject({ encoding: 'none', content: '', size: BIG.length });

    const link: any = (await gh.repos.getContent({ ...R, path: 'LINK.md' })).data;
    expect(link).toMatchObject({ type: 'symlink', target: 'README.md' });

    const dir: any = (await gh.repos.getContent({ ...R, path: 'src' })).data;
    expect(dir).toEqual([expect.objectContaining({ type: 'file', name: 'a b.ts', path: 'src/a b.ts' })]);

    const raw = await gh.repos.getContent({ ...R, path: 'README.md', mediaType: { format: 'raw' } });
    expect(String(raw.data)).toBe('# Hello-World\n');

    const missing = await failure(gh.repos.getContent({ ...R, path: 'nope.md' }));
    expect(missing.status).toBe(404);
    const badRef = await failure(gh.repos.getContent({ ...R, path: 'README.md', ref: 'nope' }));
    expect(badRef.status).toBe(404);
    expect(badRef.response?.data.message).toBe('No commit found for the ref nope');
    expect(fake.violations).toEqual([]);
  });
});

describe('collaborator permission', () => {
  it('answers permission and role_name per options, a status, or 404 for unknown logins', async () => {
    const fake = await start();
    const gh = client(fake);
    const perm = async (username: string) => (await gh.repos.getCollaboratorPermissionLevel({ ...R, username })).data;
    expect(await perm('Codertocat')).toMatchObject({ permission: 'admin', role_name: 'admin', user: { login: 'Codertocat' } });
    expect(await perm('octocat')).toMatchObject({ permission: 'read', role_name: 'read', user: { permissions: { push: false, pull: true } } });
    // maintain/triage are only visible in role_name; `permission` is the legacy coarse value.
    expect(await perm('mona')).toMatchObject({ permission: 'write', role_name: 'maintain' });
    const broken = await failure(perm('broken'));
    expect(broken.status).toBe(500);
    const unknown = await failure(perm('github-actions[bot]'));
    expect(unknown.status).toBe(404);
    expect(unknown.response?.data.message).toBe('github-actions[bot] is not a user');
    expect(fake.violations).toEqual([]);
  });
});

describe('issues and comments', () => {
  it('creates and updates comments as selfLogin with unique, increasing ids', async () => {
    const fake = await start({ comments: [{ id: 5000, issueNumber: 1, body: 'Seeded', user: 'octocat' }] });
    const gh = client(fake);
    const a = (await gh.issues.createComment({ ...R, issue_number: 1, body: 'first' })).data;
    const b = (await gh.issues.createComment({ ...R, issue_number: 1, body: 'second' })).data;
    expect(a.user?.login).toBe('github-actions[bot]');
    expect(a.user?.type).toBe('Bot');
    expect(a.id).toBeGreaterThan(5000);
    expect(b.id).toBeGreaterThan(a.id);
    expect(a.html_url).toBe(`https://github.com/Codertocat/Hello-World/issues/1#issuecomment-${a.id}`);

    const updated = (await gh.issues.updateComment({ ...R, comment_id: a.id, body: 'edited' })).data;
    expect(updated.body).toBe('edited');
    expect((await gh.issues.getComment({ ...R, comment_id: a.id })).data.body).toBe('edited');
    expect(fake.state.comments.map((c) => [c.id, c.body, c.user])).toEqual([
      [5000, 'Seeded', 'octocat'],
      [a.id, 'edited', 'github-actions[bot]'],
      [b.id, 'second', 'github-actions[bot]'],
    ]);
    expect((await gh.issues.get({ ...R, issue_number: 1 })).data.comments).toBe(3);
    expect((await failure(gh.issues.getComment({ ...R, comment_id: 1 }))).status).toBe(404);
    expect((await failure(gh.issues.createComment({ ...R, issue_number: 99, body: 'x' }))).status).toBe(404);
    expect(fake.writes().map((c) => [c.operationId, c.status])).toEqual([
      ['issues/create-comment', 201],
      ['issues/create-comment', 201],
      ['issues/update-comment', 200],
      ['issues/create-comment', 404],
    ]);
    expect(fake.violations).toEqual([]);
  });

  it('rejects bodies over 65536 characters with GitHub\'s 422', async () => {
    const fake = await start();
    const gh = client(fake);
    await gh.issues.createComment({ ...R, issue_number: 1, body: 'x'.repeat(65536) });
    const err = await failure(gh.issues.createComment({ ...R, issue_number: 1, body: 'x'.repeat(65537) }));
    expect(err.status).toBe(422);
    expect(err.response?.data.errors).toEqual([
      { resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' },
    ]);
    expect(err.message).toContain('Body is too long (maximum is 65536 characters)');
    const id = fake.state.comments[0].id;
    expect((await failure(gh.issues.updateComment({ ...R, comment_id: id, body: 'y'.repeat(70000) }))).status).toBe(422);
    expect(fake.violations).toEqual([]);
  });

  it('paginates 250 comments with Link headers that octokit.paginate follows', async () => {
    const comments = Array.from({ length: 250 }, (_, i) => ({ issueNumber: 1, body: `comment ${i}`, user: i % 2 ? 'octocat' : 'Codertocat' }));
    const fake = await start({ comments });
    const gh = client(fake);

    const first = await gh.issues.listComments({ ...R, issue_number: 1, per_page: 100 });
    expect(first.data).toHaveLength(100);
    const base = `${fake.url}/repositories/${fake.repoId}/issues/1/comments`;
    expect(first.headers.link).toBe(`<${base}?per_page=100&page=2>; rel="next", <${base}?per_page=100&page=3>; rel="last"`);

    const all = await gh.paginate(gh.issues.listComments, { ...R, issue_number: 1, per_page: 100 });
    expect(all.map((c) => c.body)).toEqual(comments.map((c) => c.body));
    const pages = fake.calls.filter((c) => c.operationId === 'issues/list-comments').slice(1);
    expect(pages.map((c) => [c.path, c.query.page])).toEqual([
      ['/repos/Codertocat/Hello-World/issues/1/comments', undefined],
      [`/repositories/${fake.repoId}/issues/1/comments`, '2'],
      [`/repositories/${fake.repoId}/issues/1/comments`, '3'],
    ]);

    const middle = await gh.request(`GET /repositories/${fake.repoId}/issues/1/comments?per_page=100&page=2`);
    expect(middle.headers.link).toBe(
      `<${base}?per_page=100&page=1>; rel="prev", <${base}?per_page=100&page=3>; rel="next", ` +
        `<${base}?per_page=100&page=3>; rel="last", <${base}?per_page=100&page=1>; rel="first"`,
    );

    // per_page defaults to 30 and is capped at 100
    expect(await gh.paginate(gh.issues.listComments, { ...R, issue_number: 1 })).toHaveLength(250);
    expect(fake.calls.filter((c) => c.operationId === 'issues/list-comments' && !c.query.per_page)).toHaveLength(9);
    expect((await gh.issues.listComments({ ...R, issue_number: 1, per_page: 500 })).data).toHaveLength(100);
    expect(fake.violations).toEqual([]);
  });

  it('adds labels (creating repository labels) and removes them', async () => {
    const fake = await start();
    const gh = client(fake);
    const added = await gh.issues.addLabels({ ...R, issue_number: 1, labels: ['agent:working', 'agent:fix'] });
    expect(added.data.map((l) => l.name)).toEqual(['agent:fix', 'agent:working']);
    expect(fake.state.labels.map((l) => l.name)).toEqual(['agent:fix', 'agent:working']);
    const removed = await gh.issues.removeLabel({ ...R, issue_number: 1, name: 'agent:fix' });
    expect(removed.data.map((l) => l.name)).toEqual(['agent:working']);
    expect(fake.calls.at(-1)?.path).toBe('/repos/Codertocat/Hello-World/issues/1/labels/agent%3Afix');
    const err = await failure(gh.issues.removeLabel({ ...R, issue_number: 1, name: 'agent:fix' }));
    expect(err.status).toBe(404);
    expect(err.response?.data.message).toBe('Label does not exist');
    expect((await gh.issues.get({ ...R, issue_number: 1 })).data.labels).toEqual([expect.objectContaining({ name: 'agent:working' })]);
    expect(fake.violations).toEqual([]);
  });
});

describe('reactions', () => {
  it('answers 201 on create and 200 when the same reaction by the same user exists', async () => {
    const fake = await start({
      pulls: [{ number: 2, title: 'Feature', head: 'feature' }],
      comments: [{ id: 7001, issueNumber: 1, body: '@claude fix' }],
      reviewComments: [{ id: 8001, pullNumber: 2, path: 'README.md', line: 3, body: 'nit' }],
    });
    const gh = client(fake);
    const first = await gh.reactions.createForIssueComment({ ...R, comment_id: 7001, content: 'eyes' });
    const again = await gh.reactions.createForIssueComment({ ...R, comment_id: 7001, content: 'eyes' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    expect((await gh.reactions.createForIssueComment({ ...R, comment_id: 7001, content: 'rocket' })).status).toBe(201);
    expect((await gh.reactions.createForIssue({ ...R, issue_number: 1, content: '+1' })).status).toBe(201);
    expect((await gh.reactions.createForPullRequestReviewComment({ ...R, comment_id: 8001, content: 'eyes' })).status).toBe(201);
    expect((await failure(gh.reactions.createForIssueComment({ ...R, comment_id: 8001, content: 'eyes' }))).status).toBe(404);
    expect(fake.state.reactions.map((r) => [r.subject, r.subjectId, r.content, r.user])).toEqual([
      ['issue_comment', 7001, 'eyes', 'github-actions[bot]'],
      ['issue_comment', 7001, 'rocket', 'github-actions[bot]'],
      ['issue', 1, '+1', 'github-actions[bot]'],
      ['pull_request_review_comment', 8001, 'eyes', 'github-actions[bot]'],
    ]);
    const comment = (await gh.issues.getComment({ ...R, comment_id: 7001 })).data;
    expect(comment.reactions).toMatchObject({ total_count: 2, eyes: 1, rocket: 1 });
    expect(fake.violations).toEqual([]);
  });
});

describe('pull requests', () => {
  it('creates a PR from originDir data, sharing the issue number space', async () => {
    const fake = await start();
    const gh = client(fake);
    const { data: pr, status, headers } = await gh.pulls.create({ ...R, head: 'feature', base: 'main', title: 'Add a feature', body: 'Fixes #1', draft: true });
    expect(status).toBe(201);
    expect(headers.location).toBe(pr.url);
    expect(pr).toMatchObject({
      number: 2,
      state: 'open',
      draft: true,
      title: 'Add a feature',
      body: 'Fixes #1',
      user: { login: 'github-actions[bot]' },
      head: { ref: 'feature', sha: sha.feature, label: 'Codertocat:feature', repo: { full_name: 'Codertocat/Hello-World', fork: false } },
      base: { ref: 'main', sha: sha.main },
      commits: 1,
      changed_files: 2,
      html_url: 'https://github.com/Codertocat/Hello-World/pull/2',
    });
    const asIssue = (await gh.issues.get({ ...R, issue_number: 2 })).data;
    expect(asIssue.pull_request?.url).toBe(`${fake.url}/repos/Codertocat/Hello-World/pulls/2`);
    expect(git(origin, 'rev-parse', 'refs/pull/2/head')).toBe(sha.feature);
    expect(fake.state.pulls).toHaveLength(1);
    expect(fake.state.issues.map((i) => [i.number, i.isPullRequest])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(fake.violations).toEqual([]);
  });

  it('refuses duplicates, unknown heads and empty PRs with GitHub\'s 422 messages', async () => {
    const fake = await start({ pulls: [{ number: 2, title: 'Feature', head: 'feature' }] });
    const gh = client(fake);
    const dup = await failure(gh.pulls.create({ ...R, head: 'feature', base: 'main', title: 'Again' }));
    expect(dup.status).toBe(422);
    expect(dup.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for Codertocat:feature.' }],
    });
    expect(dup.message).toContain('A pull request already exists for Codertocat:feature.');
    const ownerForm = await failure(gh.pulls.create({ ...R, head: 'Codertocat:feature', base: 'main', title: 'Again' }));
    expect(ownerForm.response?.data.errors[0].message).toBe('A pull request already exists for Codertocat:feature.');
    const noHead = await failure(gh.pulls.create({ ...R, head: 'nope', base: 'main', title: 'x' }));
    expect(noHead.response?.data.errors).toEqual([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const noBase = await failure(gh.pulls.create({ ...R, head: 'claude/pr-1', base: 'nope', title: 'x' }));
    expect(noBase.response?.data.errors).toEqual([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    const empty = await failure(gh.pulls.create({ ...R, head: 'same', base: 'main', title: 'x' }));
    expect(empty.response?.data.errors[0].message).toBe('No commits between main and same');
    expect(fake.state.pulls).toHaveLength(1);
    // two racing creates: one wins
    const race = await Promise.allSettled([1, 2].map(() => gh.pulls.create({ ...R, head: 'claude/pr-1', base: 'main', title: 'Race' })));
    expect(race.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as Failure).status)).sort()).toEqual([201, 422]);
    expect(fake.violations).toEqual([]);
  });

  it('lists with head=owner:branch, base and state filters (a bare head is ignored, as on GitHub)', async () => {
    const fake = await start({
      pulls: [
        { number: 2, title: 'Feature', head: 'feature' },
        { number: 3, title: 'Agent', head: 'claude/pr-1', base: 'feature' },
        { number: 4, title: 'Old', head: 'same', state: 'closed' },
      ],
    });
    const gh = client(fake);
    const numbers = async (q: Record<string, string>) => (await gh.pulls.list({ ...R, ...q })).data.map((p) => p.number);
    expect(await numbers({})).toEqual([3, 2]);
    expect(await numbers({ head: 'Codertocat:claude/pr-1' })).toEqual([3]);
    expect(await numbers({ head: 'someone:claude/pr-1' })).toEqual([]);
    expect(await numbers({ head: 'claude/pr-1' })).toEqual([3, 2]);
    expect(await numbers({ base: 'main' })).toEqual([2]);
    expect(await numbers({ state: 'closed' })).toEqual([4]);
    expect(await numbers({ state: 'all', direction: 'asc' })).toEqual([2, 3, 4]);
    expect(fake.violations).toEqual([]);
  });

  it('updates title, body, base and state, and reads the head live from originDir', async () => {
    const fake = await start({ pulls: [{ number: 2, title: 'Feature', body: 'b', head: 'claude/pr-1' }] });
    const gh = client(fake);
    const upd = await gh.pulls.update({ ...R, pull_number: 2, title: 'Better', body: 'Longer', base: 'feature' });
    expect(upd.data).toMatchObject({ title: 'Better', body: 'Longer', base: { ref: 'feature', sha: sha.feature } });
    expect((await gh.issues.get({ ...R, issue_number: 2 })).data.title).toBe('Better');

    // push a commit to the head branch: the PR follows it
    git(work, 'checkout', '-q', 'claude/pr-1');
    commitFiles({ 'more.txt': 'more\n' }, 'More agent work');
    git(work, 'push', '-q', 'origin', 'claude/pr-1');
    const moved = git(origin, 'rev-parse', 'refs/heads/claude/pr-1');
    git(work, 'checkout', '-q', 'main');
    try {
      expect((await gh.pulls.get({ ...R, pull_number: 2 })).data.head.sha).toBe(moved);
      expect(git(origin, 'rev-parse', 'refs/pull/2/head')).toBe(moved);
    } finally {
      git(origin, 'update-ref', 'refs/heads/claude/pr-1', sha['claude/pr-1']);
    }

    const closed = await gh.pulls.update({ ...R, pull_number: 2, state: 'closed' });
    expect(closed.data.state).toBe('closed');
    expect(closed.data.closed_at).not.toBeNull();
    expect((await gh.pulls.list(R)).data).toEqual([]);
    expect(fake.state.issues.find((i) => i.number === 2)?.state).toBe('closed');
    await gh.pulls.update({ ...R, pull_number: 2, state: 'open' });
    expect((await gh.pulls.list(R)).data.map((p) => p.number)).toEqual([2]);
    expect(fake.violations).toEqual([]);
  });

  it('models PRs from forks', async () => {
    const fake = await start({ pulls: [{ number: 5, title: 'From a fork', head: 'patch-1', user: 'forker', headRepoFullName: 'forker/Hello-World' }] });
    const gh = client(fake);
    const pr = (await gh.pulls.get({ ...R, pull_number: 5 })).data;
    expect(pr.head).toMatchObject({ ref: 'patch-1', sha: sha.fork, label: 'forker:patch-1', repo: { full_name: 'forker/Hello-World', fork: true, owner: { login: 'forker' } } });
    expect(pr.base.repo.full_name).toBe('Codertocat/Hello-World');
    expect(pr.maintainer_can_modify).toBe(true);
    expect((await gh.pulls.list({ ...R, head: 'forker:patch-1' })).data.map((p) => p.number)).toEqual([5]);
    expect(fake.violations).toEqual([]);
  });
});

describe('review comments and reviews', () => {
  const seeds: Partial<FakeGitHubOptions> = {
    pulls: [{ number: 2, title: 'Feature', head: 'feature' }],
    reviews: [{ id: 900, pullNumber: 2, user: 'octocat', body: 'Some notes', state: 'CHANGES_REQUESTED' }],
    reviewComments: [
      { id: 901, pullNumber: 2, reviewId: 900, path: 'README.md', line: 3, diffHunk: '@@ -1 +1,3 @@\n # Hello-World\n+\n+A feature.', body: 'Reword this', user: 'octocat' },
      { id: 902, pullNumber: 2, reviewId: 900, path: 'feature.txt', line: 1, body: 'And this', user: 'octocat' },
      { id: 903, pullNumber: 2, path: 'README.md', line: 3, body: 'Agreed', user: 'mona', inReplyTo: 901 },
    ],
  };

  it('lists a PR\'s review comments, a review\'s comments, and gets the review', async () => {
    const fake = await start(seeds);
    const gh = client(fake);
    const all = (await gh.pulls.listReviewComments({ ...R, pull_number: 2 })).data;
    expect(all.map((c) => [c.id, c.pull_request_review_id, c.in_reply_to_id ?? null, c.commit_id])).toEqual([
      [901, 900, null, sha.feature],
      [902, 900, null, sha.feature],
      [903, expect.any(Number), 901, sha.feature],
    ]);
    expect(all[0]).toMatchObject({ path: 'README.md', line: 3, html_url: 'https://github.com/Codertocat/Hello-World/pull/2#discussion_r901' });
    const ofReview = (await gh.pulls.listCommentsForReview({ ...R, pull_number: 2, review_id: 900 })).data;
    expect(ofReview.map((c) => c.id)).toEqual([901, 902]);
    const review = (await gh.pulls.getReview({ ...R, pull_number: 2, review_id: 900 })).data;
    expect(review).toMatchObject({ id: 900, state: 'CHANGES_REQUESTED', body: 'Some notes', user: { login: 'octocat' }, commit_id: sha.feature });
    expect((await failure(gh.pulls.getReview({ ...R, pull_number: 2, review_id: 1 }))).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  it('replies to a thread: 201, stored with in_reply_to_id of the thread\'s first comment', async () => {
    const fake = await start(seeds);
    const gh = client(fake);
    const reply = await gh.pulls.createReplyForReviewComment({ ...R, pull_number: 2, comment_id: 901, body: 'Done.' });
    expect(reply.status).toBe(201);
    expect(reply.data).toMatchObject({ in_reply_to_id: 901, path: 'README.md', line: 3, body: 'Done.', user: { login: 'github-actions[bot]' } });
    const toReply = await gh.pulls.createReplyForReviewComment({ ...R, pull_number: 2, comment_id: 903, body: 'Also done.' });
    expect(toReply.data.in_reply_to_id).toBe(901);
    expect(fake.state.reviewComments.slice(-2).map((c) => [c.inReplyTo, c.user])).toEqual([
      [901, 'github-actions[bot]'],
      [901, 'github-actions[bot]'],
    ]);
    expect((await failure(gh.pulls.createReplyForReviewComment({ ...R, pull_number: 2, comment_id: 7, body: 'x' }))).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });
});

describe('the action\'s own client', () => {
  it('works with @actions/github getOctokit (token auth, its headers) without violations', async () => {
    const fake = await start({ comments: Array.from({ length: 35 }, (_, i) => ({ issueNumber: 1, body: `c${i}` })) });
    const { getOctokit } = await import('@actions/github');
    const gh = getOctokit('ghs_action', { baseUrl: fake.url, log: silent });
    const comments = await gh.paginate(gh.rest.issues.listComments, { ...R, issue_number: 1 });
    expect(comments).toHaveLength(35);
    await gh.rest.issues.createComment({ ...R, issue_number: 1, body: 'from the action' });
    expect(fake.calls.map((c) => c.auth)).toEqual(['token ghs_action', 'token ghs_action', 'token ghs_action']);
    expect(fake.violations).toEqual([]);
  });
});

describe('failure injection', () => {
  it('fails the next call(s) of an operation, then behaves normally', async () => {
    const fake = await start();
    const gh = client(fake);
    fake.failNext('issues/create-comment', { status: 500, times: 2 });
    expect((await failure(gh.issues.createComment({ ...R, issue_number: 1, body: 'a' }))).status).toBe(500);
    expect((await failure(gh.issues.createComment({ ...R, issue_number: 1, body: 'a' }))).status).toBe(500);
    expect((await gh.issues.createComment({ ...R, issue_number: 1, body: 'a' })).status).toBe(201);
    expect(fake.state.comments).toHaveLength(1);
    expect(fake.calls.map((c) => c.status)).toEqual([500, 500, 201]);
    expect(fake.violations).toEqual([]);
  });

  it('injects a secondary rate limit with retry-after and a custom 422', async () => {
    const fake = await start();
    const gh = client(fake);
    fake.failNext('pulls/create', { status: 403, headers: { 'retry-after': '1' } });
    const limited = await failure(gh.pulls.create({ ...R, head: 'feature', base: 'main', title: 'x' }));
    expect(limited.status).toBe(403);
    expect(limited.response?.headers['retry-after']).toBe('1');
    expect(limited.message).toMatch(/secondary rate limit/);

    fake.failNext('pulls/create', {
      status: 422,
      body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for Codertocat:feature.' }] },
    });
    const exists = await failure(gh.pulls.create({ ...R, head: 'feature', base: 'main', title: 'x' }));
    expect(exists.status).toBe(422);
    expect(exists.message).toContain('A pull request already exists');
    expect((await gh.pulls.create({ ...R, head: 'feature', base: 'main', title: 'x' })).status).toBe(201);
    expect(() => fake.failNext('nope/nope')).toThrow(/unknown operationId/);
    expect(fake.violations).toEqual([]);
  });
});

describe('validation', () => {
  it('records a request that does not match the spec (pulls.create without head) and answers 422', async () => {
    const fake = await start();
    const gh = client(fake);
    // @ts-expect-error: `head` is missing on purpose
    const err = await failure(gh.request('POST /repos/{owner}/{repo}/pulls', { ...R, base: 'main', title: 'No head' }));
    expect(err.status).toBe(422);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatch(/pulls\/create.*invalid request.*'head'/);
    expect(fake.state.pulls).toEqual([]);
  });

  it('records bad enum values, unknown routes and non-JSON bodies', async () => {
    const fake = await start();
    const gh = client(fake);
    // @ts-expect-error: not a reaction GitHub knows
    const thumbsup = gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { ...R, issue_number: 1, content: 'thumbsup' });
    expect((await failure(thumbsup)).status).toBe(422);
    expect((await failure(gh.request('GET /repos/{owner}/{repo}/actions/runs', R))).status).toBe(404);
    const res = await fetch(`${fake.url}/repos/${OWNER}/${REPO}/issues/1/comments`, {
      method: 'POST',
      headers: { authorization: 'token x', 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(fake.violations).toEqual([
      expect.stringMatching(/reactions\/create-for-issue.*invalid request.*content/),
      expect.stringMatching(/GET \/repos\/Codertocat\/Hello-World\/actions\/runs: no such operation/),
      expect.stringMatching(/request body is not JSON/),
    ]);
    expect(fake.calls.map((c) => c.operationId)).toEqual(['reactions/create-for-issue', null, null]);
  });

  it('validates its own responses too: state that GitHub could not return is reported', async () => {
    // an issue title is a string in the spec
    const fake = await start({ issues: [{ number: 1, title: 42 as unknown as string }] });
    await client(fake).issues.get({ ...R, issue_number: 1 });
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatch(/issues\/get.*invalid 200 response: \/title must be string/);
  });

  it('records every call with operation, params, query, body and auth', async () => {
    const fake = await start();
    const gh = client(fake);
    await gh.issues.listComments({ ...R, issue_number: 1, per_page: 5 });
    await gh.issues.createComment({ ...R, issue_number: 1, body: 'hello' });
    expect(fake.calls).toEqual([
      expect.objectContaining({ operationId: 'issues/list-comments', method: 'GET', query: { per_page: '5' }, params: { owner: OWNER, repo: REPO, issue_number: '1' }, auth: 'token ghs_test', status: 200 }),
      expect.objectContaining({ operationId: 'issues/create-comment', method: 'POST', body: { body: 'hello' }, status: 201 }),
    ]);
    expect(fake.writes()).toEqual([fake.calls[1]]);
    expect(fake.violations).toEqual([]);
  });

  it('serves schema-valid examples for mocked operations (every operation and example in the subset)', async () => {
    const engine = await openApiEngine();
    try {
      expect(await engine.checkExamples()).toEqual([]);
    } finally {
      engine.release();
    }

    const fake = await start({ mock: ['repos/get', 'pulls/get'] });
    const gh = client(fake);
    expect((await gh.repos.get(R)).data.full_name).toBe('octocat/Hello-World');
    expect((await gh.pulls.get({ ...R, pull_number: 1347 })).data.number).toBe(1347);
    expect(fake.violations).toEqual([]);
  });
});

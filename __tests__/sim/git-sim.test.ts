// The git side of the e2e harness: a bare origin served over smart HTTP that demands checkout's
// header, a workspace made like actions/checkout v6, and the runner-style process launcher.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitIn, gitTry, listRefs, makeBareRepo, startGitOrigin, type GitOrigin } from '../../test/sim/git-origin.mjs';
import { checkoutAuthHeader, makeCheckout } from '../../test/sim/checkout.mjs';
import { parseFileCommands, runAction } from '../../test/sim/run-action.mjs';

const TOKEN = 'ghs_simtoken123';
const IDENTITY = { GIT_AUTHOR_NAME: 'Test Bot', GIT_AUTHOR_EMAIL: 'bot@example.com', GIT_COMMITTER_NAME: 'Test Bot', GIT_COMMITTER_EMAIL: 'bot@example.com' };

let tmp: string;
let root: string;
let origin: GitOrigin;
let repo: Awaited<ReturnType<typeof makeBareRepo>>;
let counter = 0;
const fresh = (name: string) => path.join(tmp, `${name}-${++counter}`);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'git-sim-test-'));
  const src = path.join(tmp, 'fixture');
  fs.mkdirSync(path.join(src, 'src'), { recursive: true });
  fs.writeFileSync(path.join(src, 'README.md'), '# hello\n');
  fs.writeFileSync(path.join(src, 'src', 'add.js'), 'export const add = (a, b) => a - b;\n');
  root = path.join(tmp, 'origin');
  repo = await makeBareRepo({
    root,
    owner: 'octo',
    repo: 'hello',
    fromDir: src,
    extraRefs: [
      { ref: 'refs/heads/feature', files: { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' }, message: 'Add mul' },
      { ref: 'refs/pull/2/head', from: 'refs/heads/feature' },
      { ref: 'refs/pull/2/merge', merge: ['refs/heads/main', 'refs/pull/2/head'] },
    ],
  });
  origin = await startGitOrigin({ token: TOKEN, root });
});

afterAll(async () => {
  await origin?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('makeBareRepo', () => {
  test('is deterministic and has the requested refs', async () => {
    const again = await makeBareRepo({
      root: path.join(tmp, 'origin-2'),
      owner: 'octo',
      repo: 'hello',
      fromDir: path.join(tmp, 'fixture'),
      extraRefs: [
        { ref: 'refs/heads/feature', files: { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' }, message: 'Add mul' },
        { ref: 'refs/pull/2/head', from: 'refs/heads/feature' },
        { ref: 'refs/pull/2/merge', merge: ['refs/heads/main', 'refs/pull/2/head'] },
      ],
    });
    expect(again.refs).toEqual(repo.refs);
    expect(await listRefs(repo.gitDir)).toEqual(repo.refs);
    const parents = (await gitIn(repo.gitDir, ['rev-list', '--parents', '-n', '1', 'refs/pull/2/merge'])).stdout.trim().split(' ');
    expect(parents.slice(1)).toEqual([repo.refs['refs/heads/main'], repo.refs['refs/pull/2/head']]);
    const files = (await gitIn(repo.gitDir, ['ls-tree', '-r', '--name-only', 'refs/pull/2/merge'])).stdout.trim().split('\n');
    expect(files).toEqual(['README.md', 'src/add.js', 'src/mul.js']);
  });
});

describe('git origin + checkout v6', () => {
  test('a checkout-like workspace: shallow, on main, credentials only via includeIf, no identity', async () => {
    const runnerTemp = fresh('runner-temp');
    const co = await makeCheckout({ serverUrl: origin.url, owner: 'octo', repo: 'hello', token: TOKEN, workspace: fresh('ws'), runnerTemp, ref: 'refs/heads/main' });
    const ws = co.workspace;
    expect(co.sha).toBe(repo.refs['refs/heads/main']);
    expect((await gitIn(ws, ['rev-parse', '--is-shallow-repository'])).stdout.trim()).toBe('true');
    expect((await gitIn(ws, ['symbolic-ref', 'HEAD'])).stdout.trim()).toBe('refs/heads/main');
    expect((await gitIn(ws, ['remote', 'get-url', 'origin'])).stdout.trim()).toBe(`${origin.url}/octo/hello`);
    expect(fs.readFileSync(path.join(ws, 'src', 'add.js'), 'utf8')).toContain('a - b');

    // v6: the header lives in $RUNNER_TEMP, pulled in by includeIf; .git/config has no secret.
    expect(co.credentialsFile).toMatch(new RegExp(`git-credentials-[0-9a-f-]{36}\\.config$`));
    expect(path.dirname(co.credentialsFile!)).toBe(fs.realpathSync(runnerTemp));
    expect(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8')).not.toMatch(/AUTHORIZATION/i);
    expect((await gitIn(ws, ['config', '--get', `http.${origin.url}/.extraheader`])).stdout.trim()).toBe(checkoutAuthHeader(TOKEN));
    expect((await gitIn(ws, ['config', '--get-all', `includeIf.gitdir:${ws}/.git.path`])).stdout.trim()).toBe(co.credentialsFile);
    expect((await gitTry(ws, ['config', 'user.name'])).code).toBe(1); // checkout configures no identity

    // The fetch went through the wrapper, authenticated, over protocol v2.
    const fetches = origin.requests.filter((r) => r.url.startsWith('/octo/hello/'));
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.every((r) => r.authorized && r.status === 200)).toBe(true);
    expect(fetches.some((r) => r.gitProtocol === 'version=2')).toBe(true);

    // A commit pushed with the persisted credentials lands on the origin.
    fs.writeFileSync(path.join(ws, 'src', 'add.js'), 'export const add = (a, b) => a + b;\n');
    await gitIn(ws, ['commit', '-qam', 'Fix add'], IDENTITY);
    const head = (await gitIn(ws, ['rev-parse', 'HEAD'])).stdout.trim();
    const pushesBefore = origin.pushes.length;
    await gitIn(ws, ['push', 'origin', 'HEAD:refs/heads/x']);
    expect(origin.pushes.slice(pushesBefore)).toEqual([{ repo: 'octo/hello', refs: [{ ref: 'refs/heads/x', before: null, after: head }] }]);
    expect((await listRefs(repo.gitDir))['refs/heads/x']).toBe(head);

    // Without the credentials file the same push is refused.
    fs.rmSync(co.credentialsFile!);
    const requestsBefore = origin.requests.length;
    const denied = await gitTry(ws, ['push', 'origin', 'HEAD:refs/heads/y']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/could not read Username|401/);
    expect(origin.requests.slice(requestsBefore).some((r) => r.status === 401)).toBe(true);
    expect((await listRefs(repo.gitDir))['refs/heads/y']).toBeUndefined();
  });

  test('a pull_request checkout is detached at the merge commit', async () => {
    const co = await makeCheckout({
      serverUrl: origin.url,
      owner: 'octo',
      repo: 'hello',
      token: TOKEN,
      workspace: fresh('ws'),
      runnerTemp: fresh('runner-temp'),
      ref: 'refs/pull/2/merge',
    });
    expect(co.sha).toBe(repo.refs['refs/pull/2/merge']);
    expect((await gitTry(co.workspace, ['symbolic-ref', '-q', 'HEAD'])).code).not.toBe(0); // detached
    expect((await gitIn(co.workspace, ['rev-parse', '--is-shallow-repository'])).stdout.trim()).toBe('true');
    expect(fs.existsSync(path.join(co.workspace, 'src', 'mul.js'))).toBe(true);
    // The action has to fetch the PR head itself; with the persisted header that works.
    await gitIn(co.workspace, ['fetch', '--depth=1', 'origin', '+refs/heads/feature:refs/remotes/origin/feature']);
    expect((await gitIn(co.workspace, ['rev-parse', 'refs/remotes/origin/feature'])).stdout.trim()).toBe(repo.refs['refs/heads/feature']);
  });

  test('v5 keeps the header in .git/config; none persists nothing', async () => {
    const v5 = await makeCheckout({ serverUrl: origin.url, owner: 'octo', repo: 'hello', token: TOKEN, workspace: fresh('ws'), runnerTemp: fresh('rt'), credentials: 'v5' });
    expect(v5.credentialsFile).toBeNull();
    expect(fs.readFileSync(path.join(v5.workspace, '.git', 'config'), 'utf8')).toContain(checkoutAuthHeader(TOKEN));

    const none = await makeCheckout({ serverUrl: origin.url, owner: 'octo', repo: 'hello', token: TOKEN, workspace: fresh('ws'), runnerTemp: fresh('rt'), credentials: 'none' });
    expect(none.sha).toBe(repo.refs['refs/heads/main']);
    expect((await gitTry(none.workspace, ['config', '--get', `http.${origin.url}/.extraheader`])).code).toBe(1);
    const denied = await gitTry(none.workspace, ['ls-remote', 'origin']);
    expect(denied.code).not.toBe(0);
  });

  test('a wrong token is refused with 401', async () => {
    const wrong = await gitTry(tmp, ['-c', `http.${origin.url}/.extraheader=${checkoutAuthHeader('ghs_wrong')}`, 'ls-remote', `${origin.url}/octo/hello.git`]);
    expect(wrong.code).not.toBe(0);
    expect(origin.requests.at(-1)).toMatchObject({ authorized: false, status: 401 });
  });
});

describe('runAction', () => {
  const RUNNER_VARS = [
    'PATH', 'HOME', 'GITHUB_ACTIONS', 'CI', 'GITHUB_EVENT_NAME', 'GITHUB_EVENT_PATH', 'GITHUB_REPOSITORY', 'GITHUB_REPOSITORY_OWNER',
    'GITHUB_API_URL', 'GITHUB_SERVER_URL', 'GITHUB_WORKSPACE', 'RUNNER_TEMP', 'GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_OUTPUT',
    'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_REF', 'GITHUB_SHA', 'GITHUB_ACTOR', 'GITHUB_TRIGGERING_ACTOR', 'ANTHROPIC_BASE_URL',
    // Simulated runs switch GitHub's request spacing off (the simulators never rate-limit).
    'TASKCAP_GITHUB_THROTTLE',
  ];

  /** A stand-in for dist/index.js: reports its env and writes outputs like @actions/core does. */
  const STAND_IN = `
import fs from 'node:fs';
import crypto from 'node:crypto';
const env = process.env;
const put = (file, name, value) => {
  const d = 'ghadelimiter_' + crypto.randomUUID();
  fs.appendFileSync(file, name + '<<' + d + '\\n' + value + '\\n' + d + '\\n');
};
const event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
put(env.GITHUB_OUTPUT, 'status', 'completed');
put(env.GITHUB_OUTPUT, 'notes', 'line one\\nline two');
put(env.GITHUB_OUTPUT, 'issue', String(event.issue.number));
put(env.GITHUB_STATE, 'phase', 'done');
fs.appendFileSync(env.GITHUB_STEP_SUMMARY, '## taskcap receipt\\n');
if (env.STAND_IN_WAIT) {
  process.on('SIGTERM', () => { put(env.GITHUB_OUTPUT, 'status', 'cancelled'); process.exit(3); });
  setInterval(() => {}, 1000);
} else {
  console.log(JSON.stringify({ cwd: process.cwd(), env }));
}
`;

  let entry: string;
  let actionYml: string;
  beforeAll(() => {
    const dir = fresh('stand-in');
    fs.mkdirSync(dir);
    entry = path.join(dir, 'entry.mjs');
    fs.writeFileSync(entry, STAND_IN);
    // A fixed action.yml, so the test does not follow edits to the real one.
    actionYml = path.join(dir, 'action.yml');
    fs.writeFileSync(
      actionYml,
      [
        'name: t',
        'inputs:',
        '  anthropic-api-key: { required: false }',
        '  github-token: { default: "${{ github.token }}" }',
        '  model: { default: claude-opus-4-7 }',
        '  timeout-minutes: { default: "30" }',
        '  test-command: { required: false }',
        'runs: { using: node24, main: dist/index.js }',
        '',
      ].join('\n'),
    );
  });

  test('env from scratch, INPUT_ defaults applied, outputs/summary/state parsed', async () => {
    const co = await makeCheckout({ serverUrl: origin.url, owner: 'octo', repo: 'hello', token: TOKEN, workspace: fresh('ws'), runnerTemp: fresh('rt') });
    process.env.SIM_LEAK_SENTINEL = 'must-not-leak';
    try {
      const result = await runAction({
        entry,
        actionYml,
        workspace: co.workspace,
        runnerTemp: fresh('rt'),
        eventName: 'issues',
        payload: { action: 'labeled', issue: { number: 7 }, sender: { login: 'octocat' } },
        inputs: { 'anthropic-api-key': 'sk-ant-test', 'model': 'claude-opus-4-8' },
        repository: 'octo/hello',
        githubApiUrl: 'http://127.0.0.1:1/api',
        serverUrl: origin.url,
        anthropicBaseUrl: 'http://127.0.0.1:2',
      });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(result.stdout) as { cwd: string; env: Record<string, string> };
      expect(report.cwd).toBe(co.workspace);
      expect(Object.keys(report.env).sort()).toEqual(
        [...RUNNER_VARS, 'INPUT_ANTHROPIC-API-KEY', 'INPUT_GITHUB-TOKEN', 'INPUT_MODEL', 'INPUT_TIMEOUT-MINUTES'].sort(),
      );
      expect(report.env).toMatchObject({
        'INPUT_ANTHROPIC-API-KEY': 'sk-ant-test',
        'INPUT_GITHUB-TOKEN': 'ghs_default',
        INPUT_MODEL: 'claude-opus-4-8',
        'INPUT_TIMEOUT-MINUTES': '30',
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'issues',
        GITHUB_REPOSITORY_OWNER: 'octo',
        GITHUB_SERVER_URL: origin.url,
        GITHUB_WORKSPACE: co.workspace,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: co.sha,
        GITHUB_ACTOR: 'octocat',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:2',
      });
      expect(report.env.HOME).not.toBe(os.homedir());
      expect(result.outputs).toEqual({ status: 'completed', notes: 'line one\nline two', issue: '7' });
      expect(result.state).toEqual({ phase: 'done' });
      expect(result.summary).toBe('## taskcap receipt\n');
      expect(result.durationMs).toBeGreaterThan(0);
    } finally {
      delete process.env.SIM_LEAK_SENTINEL;
    }
  });

  test("the real action.yml's `${{ github.token }}` default, and a given github-token wins", async () => {
    const base = { entry, workspace: fresh('empty-ws'), runnerTemp: fresh('rt'), eventName: 'issues', payload: { issue: { number: 1 } }, repository: 'octo/hello' };
    fs.mkdirSync(base.workspace);
    const defaulted = await runAction(base);
    expect(defaulted.env['INPUT_GITHUB-TOKEN']).toBe('ghs_default');
    expect(Object.keys(defaulted.env).every((k) => RUNNER_VARS.includes(k) || k.startsWith('INPUT_'))).toBe(true);
    const given = await runAction({ ...base, inputs: { 'github-token': 'ghs_given' } });
    expect(given.env['INPUT_GITHUB-TOKEN']).toBe('ghs_given');
  });

  test('signalAfterMs delivers SIGTERM (cancellation)', async () => {
    const ws = fresh('empty-ws');
    fs.mkdirSync(ws);
    const result = await runAction({
      entry,
      actionYml,
      workspace: ws,
      runnerTemp: fresh('rt'),
      eventName: 'issues',
      payload: { issue: { number: 3 } },
      repository: 'octo/hello',
      env: { STAND_IN_WAIT: '1' },
      signalAfterMs: 300,
    });
    expect(result.exitCode).toBe(3);
    expect(result.outputs.status).toBe('cancelled');
  });

  test('parseFileCommands reads heredocs and name=value lines', () => {
    expect(parseFileCommands('a<<EOF\nx\ny\nEOF\nb=1\n')).toEqual({ a: 'x\ny', b: '1' });
  });
});

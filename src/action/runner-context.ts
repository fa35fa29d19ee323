import fs from 'node:fs';
import { UserError } from '../util/errors.js';

/** What the runner tells the action about this job, read once from the environment. */
export interface RunnerContext {
  eventName: string;
  payload: Record<string, unknown>;
  owner: string;
  repo: string;
  apiUrl: string;
  serverUrl: string;
  workspace: string;
  runnerTemp: string;
  runId: string;
  runAttempt: number;
  /** Who started the run (differs from the event sender on a re-run). */
  actor?: string;
  triggeringActor?: string;
  sha?: string;
  ref?: string;
}

/**
 * Read the runner's environment. A missing or unreadable event payload is a clear error: without it taskcap
 * cannot know who asked for what, so it does nothing.
 */
export function readRunnerContext(env: NodeJS.ProcessEnv): RunnerContext {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  if (!eventName) throw new UserError('GITHUB_EVENT_NAME is not set: taskcap must run as a step of a GitHub Actions job.');
  const eventPath = env.GITHUB_EVENT_PATH ?? '';
  if (!eventPath) throw new UserError('GITHUB_EVENT_PATH is not set: the runner gave no event payload, so taskcap does nothing.');
  let raw: string;
  try {
    raw = fs.readFileSync(eventPath, 'utf8');
  } catch (e) {
    throw new UserError(`The event payload '${eventPath}' (GITHUB_EVENT_PATH) cannot be read: ${(e as Error).message}. taskcap does nothing without it.`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw new UserError(`The event payload '${eventPath}' (GITHUB_EVENT_PATH) is not valid JSON; taskcap does nothing without a readable event.`);
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new UserError(`The event payload '${eventPath}' (GITHUB_EVENT_PATH) is not a JSON object; taskcap does nothing without a readable event.`);
  }
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new UserError(`GITHUB_REPOSITORY '${repository}' is not in the form owner/repo.`);
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  return {
    eventName,
    payload: payload as Record<string, unknown>,
    owner,
    repo,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    workspace,
    runnerTemp: env.RUNNER_TEMP || '',
    runId: env.GITHUB_RUN_ID || '0',
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT || '1') || 1,
    actor: env.GITHUB_ACTOR || undefined,
    triggeringActor: env.GITHUB_TRIGGERING_ACTOR || undefined,
    sha: env.GITHUB_SHA || undefined,
    ref: env.GITHUB_REF || undefined,
  };
}

/** Link to this workflow run, for the receipt and the PR. */
export function runUrl(ctx: RunnerContext): string {
  return `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/actions/runs/${ctx.runId}${ctx.runAttempt > 1 ? `/attempts/${ctx.runAttempt}` : ''}`;
}

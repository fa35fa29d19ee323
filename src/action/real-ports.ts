import { createAnthropicModel } from '../agent/model.js';
import { createGitHub, createOctokit } from '../github/github.js';
import type { Log, Ports } from '../ports.js';
import { Git } from '../publish/git.js';
import { createSandboxShell } from '../tools/sandbox.js';
import type { Inputs } from './inputs.js';
import type { RunnerContext } from './runner-context.js';

/**
 * The real world for one run: Octokit, git in the workspace, the Anthropic SDK, the sandbox, the system clock.
 * Everything it needs from the environment is passed in (`env`), so the same wiring serves the runner and the
 * in-process test tier.
 */
export function buildPorts(inputs: Inputs, ctx: RunnerContext, env: Record<string, string | undefined>, log: Log, cancel: AbortSignal, clock: Ports['clock']): Ports {
  // The SDK is large: it loads once a task is known to need it, while the sandbox probe and the lookups run.
  let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;
  // Tests and simulators turn GitHub's request spacing off; a real run always keeps it.
  const throttle = env.TASKCAP_GITHUB_THROTTLE !== 'off';
  const octokit = createOctokit(inputs.githubToken, ctx.apiUrl, log, { throttle });
  return {
    github: createGitHub(octokit, ctx.owner, ctx.repo),
    makeModel: async (apiKey) => {
      const loaded = await (sdk ??= import('@anthropic-ai/sdk'));
      // Settings come from this run's environment, never from whatever the SDK would read on its own.
      const client = new loaded.default({ apiKey, authToken: null, baseURL: env.ANTHROPIC_BASE_URL || undefined, maxRetries: 0 });
      return createAnthropicModel(loaded, client);
    },
    git: new Git(ctx.workspace),
    // Made per task, after the gate: a skipped or refused event never touches the machine's sandbox settings.
    makeShell: ({ workspace, agentHome }) =>
      createSandboxShell({
        mode: inputs.sandbox,
        workspace,
        agentHome,
        hide: [ctx.runnerTemp, env.HOME ?? ''].filter((d) => d && d !== '/'),
        log,
      }),
    clock,
    log,
    cancel,
    environment: env,
  };
}

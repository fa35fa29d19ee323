import { execFile } from 'node:child_process';
import { azureCliToken, type RunCommand } from '../agent/providers/azure-cli.js';
import { createProviderModel } from '../agent/providers/create-model.js';
import { githubOidcToken } from '../agent/providers/oidc-token.js';
import { createGitHub, createOctokit } from '../github/github.js';
import type { Ports } from '../ports.js';
import { Git } from '../publish/git.js';
import { createSandboxShell } from '../tools/sandbox.js';
import type { Inputs } from './inputs.js';
import type { ActionIO } from './io.js';
import type { RunnerContext } from './runner-context.js';

/** A command without a shell, with exactly the given environment (the Azure CLI for a Foundry token). */
const runCommand: RunCommand = (file, args, env) =>
  new Promise((resolve) => {
    execFile(file, args, { env, timeout: 120_000, encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr || (error?.message ?? '')) });
    }).stdin?.end();
  });

/**
 * The real world for one run: Octokit, git in the workspace, the Anthropic SDK, the sandbox, the system clock.
 * Everything it needs from the environment is passed in (`env`), so the same wiring serves the runner and the
 * in-process test tier.
 */
export function buildPorts(inputs: Inputs, ctx: RunnerContext, env: Record<string, string | undefined>, io: ActionIO, cancel: AbortSignal, clock: Ports['clock']): Ports {
  const { log } = io;
  // The SDK is large: it loads once a task is known to need it, while the sandbox probe and the lookups run.
  let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;
  // Tests and simulators turn GitHub's request spacing off; a real run always keeps it.
  const throttle = env.TASKCAP_GITHUB_THROTTLE !== 'off';
  const octokit = createOctokit(inputs.githubToken, ctx.apiUrl, log, { throttle });
  return {
    github: createGitHub(octokit, ctx.owner, ctx.repo),
    // The client for the run's provider; its platform package loads only when that provider is used.
    makeModel: (provider, model, onSecret) =>
      createProviderModel(provider, model, {
        loadSdk: () => (sdk ??= import('@anthropic-ai/sdk')),
        fetchIdToken: githubOidcToken(env),
        azureToken: azureCliToken(runCommand, env),
        onSecret: (secret) => {
          io.setSecret(secret);
          onSecret(secret);
        },
        log,
        env,
      }),
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

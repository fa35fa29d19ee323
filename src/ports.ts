import type { ModelPort } from './agent/model.js';
import type { RunProvider } from './agent/providers/run-provider.js';
import type { ModelSpec } from './config/models.js';
import type { TaskcapConfig } from './config/config.js';
import type { GitHub } from './github/github.js';
import type { Inputs } from './action/inputs.js';
import type { GitCredentials } from './publish/credentials.js';
import type { Git } from './publish/git.js';
import type { RunnerContext } from './action/runner-context.js';
import type { SandboxShell } from './tools/sandbox.js';
import type { Redactor } from './util/redact.js';

/** The clock is a port so tests and benchmarks can run waits instantly and read a fixed time. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** Lines logged while `work` runs fold under `title` (a log group on the runner). Groups do not nest. */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** The world as taskcap sees it. Only the entry module builds real ones. */
export interface Ports {
  github: GitHub;
  /**
   * The model client for the run's provider, built only once a run will call the model (a skipped or refused event
   * needs no credentials). Credentials it mints on the way (federation tokens) go to `onSecret`.
   */
  makeModel: (provider: RunProvider, model: ModelSpec, onSecret: (secret: string) => void) => Promise<ModelPort & { switchedOff?(): readonly string[] }>;
  git: Git;
  /** The shell for agent commands: a bubblewrap sandbox when one can be made (per the `sandbox` input). */
  makeShell: (opts: { workspace: string; agentHome: string }) => Promise<SandboxShell>;
  clock: Clock;
  log: Log;
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow). */
  cancel: AbortSignal;
  /** The step's environment, for the redactor (secret-named variables). */
  environment?: Record<string, string | undefined>;
}

/** What every task of one run shares, settled once the gate has let the event through. */
export interface RunSetup {
  inputs: Inputs;
  /** Where Claude is reached, how taskcap signs in, and the credential files to hide during the loop. */
  provider: RunProvider;
  ctx: RunnerContext;
  ports: Ports;
  config: TaskcapConfig;
  redactor: Redactor;
  /** Clock time the run started. */
  started: number;
  /** Credentials for taskcap's own fetch and push, read once from the checkout. */
  credentials: GitCredentials;
  /** Protected paths: the defaults, the config file, and the `protected-paths` input. */
  protectedGlobs: string[];
  /**
   * The default branch's commit the repository context (instructions, map) is read from: the checkout's when it is
   * the default branch, else its tip fetched from origin. Never a pull request's head. Undefined: no context.
   */
  contextCommit?: { sha: string; branch: string };
}

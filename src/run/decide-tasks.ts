import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import type { TaskcapConfig } from '../config/config.js';
import { readRepoConfig } from '../config/read-repo-config.js';
import { go, type Decision, type Go, type Invalid, type Refusal, type Skip } from '../decision.js';
import type { Ports } from '../ports.js';
import { checkPermission } from '../trigger/gate.js';
import { intentsFor, type Intent } from '../trigger/intent.js';
import { routeEvent, type Trigger } from '../trigger/route-event.js';

/** What an event asks for, once it is known to be taskcap's and allowed. */
export interface Decided {
  config: TaskcapConfig;
  intents: Intent[];
  defaultBranch: string;
}

/** A refusal, with what was asked for (the outputs still name the class and the budget). */
export type Refused = Refusal & { asked?: Pick<Intent, 'className' | 'budget'>; trigger: Trigger };

/**
 * Read the event into intents and check who asked. An event not aimed at taskcap is skipped before anyone is
 * refused, and a broken config is reported only to someone allowed to run taskcap (anyone else is refused first,
 * so cannot fail the job). The config comes from the default branch only: a pull request cannot raise its own
 * budget. Both reads (config and permission) run together.
 */
export async function decideTasks(inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<Go<Decided> | Skip | Invalid | Refused> {
  const trigger = routeEvent(ctx.eventName, ctx.payload);
  if (trigger.kind !== 'go') return trigger;
  const defaultBranch = defaultBranchOf(ctx.payload) ?? (await ports.github.defaultBranch());
  const [loaded, verdict] = await Promise.all([
    readRepoConfig(ports.github, inputs.configPath, defaultBranch, ports.log).then(
      (config) => ({ config, error: undefined }),
      (error: unknown) => ({ config: undefined, error }),
    ),
    gate(trigger.value, ctx, inputs, ports),
  ]);
  ports.log.debug('config read, permission checked');
  const intents = loaded.config ? intentsFor(trigger.value, loaded.config) : undefined;
  if (intents?.kind === 'skip') return intents;
  // Only a request the config reads as one is answered on the issue: a refused person is never told about the setup.
  if (verdict.kind === 'refuse') return { ...verdict, notice: intents ? verdict.notice : undefined, asked: intents?.kind === 'go' ? intents.value[0] : undefined, trigger: trigger.value };
  if (!loaded.config || !intents) throw loaded.error;
  if (intents.kind !== 'go') return intents;
  return go({ config: loaded.config, intents: intents.value, defaultBranch });
}

function defaultBranchOf(payload: Record<string, unknown>): string | undefined {
  const repo = payload.repository as { default_branch?: unknown } | undefined;
  return typeof repo?.default_branch === 'string' && repo.default_branch ? repo.default_branch : undefined;
}

/** Who may spend: the sender (and a re-runner) need write access; schedules run only what the default branch configures. */
async function gate(trigger: Trigger, ctx: RunnerContext, inputs: Inputs, ports: Ports): Promise<Decision<void>> {
  if (trigger.kind === 'schedule') return go(undefined);
  return checkPermission(ports.github, {
    sender: trigger.sender.login ? trigger.sender : undefined,
    triggeringActor: ctx.runAttempt > 1 ? ctx.triggeringActor : undefined,
    allowedBots: inputs.allowedBots,
  });
}

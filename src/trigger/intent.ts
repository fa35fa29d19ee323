import type { TaskcapConfig } from '../config/config.js';
import { go, invalid, skip, type Decision } from '../decision.js';
import { findBudgetLabel, overrideBudget, parseAgentCommand } from './command.js';
import type { Trigger } from './route-event.js';

/** What the event asks for once the repo config is known: a class, a budget, and the words that say what to do. */
export interface Intent {
  trigger: Trigger;
  className: string;
  budget: number;
  /** Instructions from a `/agent` command or an ad-hoc dispatch (untrusted data). */
  instructions?: string;
  /** A task defined in the config (schedule / dispatch). */
  configured?: { name: string; prompt: string };
  /** Ad-hoc dispatch: a name for the branch. */
  adhocName?: string;
}

const classOfLabels = (labels: string[], config: TaskcapConfig) => labels.map((l) => config.labels[l]).find(Boolean);
const knownLabels = (config: TaskcapConfig) => Object.keys(config.labels).sort().join(', ');

function withBudget(intent: Omit<Intent, 'budget'>, config: TaskcapConfig, override?: { source: string; text: string }): Decision<Intent> {
  const spec = config.classes[intent.className];
  if (!override) return go({ ...intent, budget: spec.budget });
  const budget = overrideBudget(override.source, override.text, config.maxBudget);
  return budget.kind === 'go' ? go({ ...intent, budget: budget.value }) : budget;
}

/** Decide class and budget for a trigger under the repo config. Pure. */
export function intentsFor(trigger: Trigger, config: TaskcapConfig): Decision<Intent[]> {
  const classes = Object.keys(config.classes);
  const one = (d: Decision<Intent>): Decision<Intent[]> => (d.kind === 'go' ? go([d.value]) : d);
  switch (trigger.kind) {
    case 'issue-label':
    case 'pr-label': {
      const item = trigger.kind === 'issue-label' ? trigger.issue : trigger.pull;
      const what = `${trigger.kind === 'issue-label' ? 'issue' : 'pull request'} #${item.number}`;
      const labels = item.labels.includes(trigger.label) ? item.labels : [...item.labels, trigger.label];
      let className = config.labels[trigger.label];
      // A budget label added to an item that already carries a class label re-runs it with the new budget.
      if (!className && /^budget:/i.test(trigger.label)) {
        className = classOfLabels(labels, config) ?? '';
        if (!className) return skip(`label '${trigger.label}' on ${what} sets a budget, but the ${trigger.kind === 'issue-label' ? 'issue' : 'PR'} has no taskcap class label yet`);
      }
      if (!className) return skip(`label '${trigger.label}' on ${what} is not a taskcap label (taskcap labels: ${knownLabels(config)})`);
      if (item.state === 'closed') return skip(`${what} is closed`);
      const label = findBudgetLabel(labels);
      return one(withBudget({ trigger, className }, config, label ? { source: `Label '${label}'`, text: label.slice('budget:'.length) } : undefined));
    }
    case 'issue-comment':
    case 'review-comment':
    case 'review': {
      const body = trigger.kind === 'review' ? trigger.review.body : trigger.comment.body;
      const command = parseAgentCommand(body, classes) ?? { instructions: body.trim() };
      const onPull = trigger.kind !== 'issue-comment' || trigger.issue.isPull;
      const labels = trigger.kind === 'issue-comment' ? trigger.issue.labels : trigger.pull.labels;
      // `/agent` on a PR is a review round unless it names a class; on an issue it follows the issue's class label.
      const className = command.className ?? (onPull ? 'review' : classOfLabels(labels, config) ?? 'fix');
      if (!config.classes[className]) return invalid(`class '${className}' is not configured; known classes: ${classes.join(', ')}.`);
      const state = trigger.kind === 'issue-comment' ? trigger.issue.state : trigger.pull.state;
      if (state === 'closed') return skip(`${onPull ? 'pull request' : 'issue'} #${trigger.kind === 'issue-comment' ? trigger.issue.number : trigger.pull.number} is closed`);
      const label = findBudgetLabel(labels);
      const override = command.budgetText
        ? { source: `The command's budget=${command.budgetText}`, text: command.budgetText }
        : label
          ? { source: `Label '${label}'`, text: label.slice('budget:'.length) }
          : undefined;
      return one(withBudget({ trigger, className, instructions: command.instructions || undefined }, config, override));
    }
    case 'schedule': {
      // Fan-out tasks are planned, sharded and collected by their own modes, never run as one task.
      const due = Object.entries(config.tasks).filter(([, t]) => t.schedule === trigger.cron.trim() && !t.fanout);
      if (due.length === 0) return skip(`no task in the config has schedule '${trigger.cron}'${Object.values(config.tasks).some((t) => t.fanout && t.schedule === trigger.cron.trim()) ? ' outside fan-out (those run with mode: plan, shard and collect)' : ''}`);
      const out: Intent[] = [];
      for (const [name, t] of due) {
        const intent = withBudget({ trigger, className: t.class, configured: { name, prompt: t.prompt } }, config);
        if (intent.kind !== 'go') return intent;
        out.push(intent.value);
      }
      return go(out);
    }
    case 'dispatch': {
      const { task: name, prompt, budget } = trigger.inputs;
      const override = budget ? { source: `The dispatch input budget='${budget}'`, text: budget } : undefined;
      if (name) {
        const t = config.tasks[name];
        if (!t) return invalid(`workflow_dispatch asked for task '${name}', which the config does not define (tasks: ${Object.keys(config.tasks).join(', ') || 'none'}).`);
        if (t.fanout) return invalid(`task '${name}' is a fan-out task: run it with mode: plan, then shard (a matrix job), then collect, as in the README's fan-out workflow.`);
        return one(withBudget({ trigger, className: t.class, configured: { name, prompt: t.prompt } }, config, override));
      }
      if (!prompt?.trim()) return skip("workflow_dispatch gave neither a 'task' nor a 'prompt' input");
      const className = trigger.inputs.class || 'fix';
      if (!config.classes[className]) return invalid(`workflow_dispatch input class='${className}' is not a class; known classes: ${classes.join(', ')}.`);
      const adhocName = (trigger.inputs.name || '').replace(/[^a-z0-9._-]+/gi, '-').replace(/\.{2,}/g, '.').slice(0, 40).replace(/^[-.]+|[-.]+$/g, '').replace(/(\.lock)+$/i, '');
      return one(withBudget({ trigger, className, instructions: prompt, adhocName: adhocName || undefined }, config, override));
    }
  }
}

import { budgetCeiling, type TaskcapConfig } from '../config/config.js';
import { go, invalid, skip, type Go, type Invalid, type Skip } from '../decision.js';
import { closest } from '../util/did-you-mean.js';
import { code } from '../util/inline-code.js';
import { findBudgetLabel, overrideBudget, parseAgentCommand, type AgentCommand } from './command.js';
import { sameSchedule } from './cron-match.js';
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

function withBudget(intent: Omit<Intent, 'budget'>, config: TaskcapConfig, override?: { source: string; text: string }): Go<Intent> | Invalid {
  const spec = config.classes[intent.className];
  if (!override) return go({ ...intent, budget: spec.budget });
  const budget = overrideBudget(override.source, override.text, budgetCeiling(config));
  if (budget.kind === 'go') return go({ ...intent, budget: budget.value });
  return invalid(budget.reason, { cause: 'budget', text: `${budget.reason} Nothing was started.` });
}

/**
 * The words that name a class in `/agent <word>`: each class name, and the word of its own `agent:` label
 * (`/agent migrate`, like the label `agent:migrate`).
 */
export function classWords(config: TaskcapConfig): Map<string, string> {
  const words = new Map(Object.keys(config.classes).map((c) => [c, c]));
  for (const [name, spec] of Object.entries(config.classes)) {
    const word = /^agent:([a-z][a-z0-9-]*)$/i.exec(spec.label ?? '')?.[1]?.toLowerCase();
    if (word && !words.has(word)) words.set(word, name);
  }
  return words;
}

/**
 * A label nobody configured that was still meant for taskcap: it shares a taskcap label's prefix (`agent:fixx`,
 * `agent:migration`) or is a slip of one. Any other label (`bug`) is none of taskcap's business.
 */
function meantForTaskcap(label: string, config: TaskcapConfig): boolean {
  const prefix = (l: string) => (l.indexOf(':') > 0 ? l.slice(0, l.indexOf(':') + 1).toLowerCase() : undefined);
  const known = Object.keys(config.labels);
  const p = prefix(label);
  return (p !== undefined && known.some((l) => prefix(l) === p)) || closest(label, known) !== undefined;
}

/** The label a person most likely meant: a slip of a known label, or a class named instead of its label. */
function labelMeant(label: string, config: TaskcapConfig): { label?: string; classWithoutLabel?: string } {
  const known = Object.keys(config.labels);
  const cut = (l: string) => {
    const i = l.indexOf(':');
    return i > 0 ? { prefix: l.slice(0, i + 1).toLowerCase(), word: l.slice(i + 1) } : { prefix: '', word: l };
  };
  const { prefix, word } = cut(label);
  // Words are compared after a shared prefix: `agent:big` is not a slip of `agent:fix`, however long `agent:` is.
  const sameFamily = known.filter((l) => cut(l).prefix === prefix);
  const near = closest(word, sameFamily.map((l) => cut(l).word));
  if (near !== undefined) return { label: sameFamily.find((l) => cut(l).word === near) };
  const className = config.classes[word.toLowerCase()] ? word.toLowerCase() : closest(word, Object.keys(config.classes));
  if (!className) return {};
  const own = config.classes[className].label;
  return own ? { label: own } : { classWithoutLabel: className };
}

function unknownLabel(label: string, what: string, config: TaskcapConfig): Invalid {
  const meant = labelMeant(label, config);
  const labels = Object.keys(config.labels).sort();
  const hint = meant.label
    ? ` Did you mean '${meant.label}'?`
    : meant.classWithoutLabel
      ? ` Class '${meant.classWithoutLabel}' has no label: comment '/agent ${meant.classWithoutLabel}' instead.`
      : '';
  const fix = meant.label
    ? ` Did you mean ${code(meant.label)}? Remove ${code(label)} and add ${code(meant.label)}.`
    : meant.classWithoutLabel
      ? ` Class ${code(meant.classWithoutLabel)} has no label: comment ${code(`/agent ${meant.classWithoutLabel}`)} instead, with what to do on the next lines.`
      : ' A maintainer can add a class and its label in the taskcap config.';
  return invalid(
    `Label '${label}' on ${what} is not a taskcap label.${hint} (taskcap labels: ${labels.join(', ')})`,
    { cause: 'label', text: `${code(label)} is not a taskcap label, so nothing was started.${fix} taskcap's labels here: ${labels.map((l) => code(l)).join(', ')}.` },
  );
}

/** A `/agent` word that looks like a slip: ask, rather than run the default class with the word as instructions. */
function unclearCommand(unclear: NonNullable<AgentCommand['unclear']>, config: TaskcapConfig): Invalid {
  if (unclear.kind === 'budget') {
    return invalid(
      `The command's '${unclear.word}' looks like a budget with a typo; write '${unclear.suggestion}'.`,
      { cause: 'budget', text: `${code(unclear.word)} looks like a budget with a typo, so nothing was started. Comment again with ${code(unclear.suggestion)}.` },
    );
  }
  const classes = Object.keys(config.classes);
  return invalid(
    `The command's first word '${unclear.word}' is not a taskcap class. Did you mean '${unclear.suggestion}'? (classes: ${classes.join(', ')})`,
    {
      cause: 'class',
      text:
        `${code(unclear.word)} is not a taskcap class, so nothing was started. Did you mean ${code(unclear.suggestion)}? ` +
        `Comment again starting with ${code(`/agent ${unclear.suggestion}`)}, with what to do on the next lines; if ${code(unclear.word)} was part of ` +
        `the instructions, start with ${code('/agent')} alone and put them on the next line. Classes: ${classes.map((c) => code(c)).join(', ')}.`,
    },
  );
}

/** A schedule that matches no task as written: explain why, and whether a task means the same time written otherwise. */
function unmatchedSchedule(cron: string, config: TaskcapConfig): Invalid {
  const scheduled = Object.entries(config.tasks).filter(([, t]) => t.schedule !== undefined);
  const same = scheduled.filter(([, t]) => sameSchedule(t.schedule!, cron));
  if (same.length > 0) {
    const [name, t] = same[0];
    return invalid(
        `The workflow's schedule '${cron}' matches no task as written, but task '${name}' has schedule '${t.schedule}', which means the same time. ` +
        `taskcap runs the tasks whose schedule is written exactly like the workflow's cron (the schedule event carries its text): ` +
        `write both the same way, e.g. schedule: "${cron}" for the task, or cron: "${t.schedule}" in the workflow.`,
    );
  }
  const known = scheduled.map(([name, t]) => `'${t.schedule}' (${name})`).join(', ');
  return invalid(
      `The workflow's schedule '${cron}' matches no task in the config (${known ? `its schedules: ${known}` : 'it defines no scheduled task'}). ` +
      `Give a task schedule: "${cron}" under tasks:, or change the workflow's cron to a task's schedule.`,
  );
}

/** Decide class and budget for a trigger under the repo config. Pure. */
export function intentsFor(trigger: Trigger, config: TaskcapConfig): Go<Intent[]> | Skip | Invalid {
  const classes = Object.keys(config.classes);
  const one = (d: Go<Intent> | Invalid): Go<Intent[]> | Invalid => (d.kind === 'go' ? go([d.value]) : d);
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
      if (!className && meantForTaskcap(trigger.label, config)) return unknownLabel(trigger.label, what, config);
      if (!className) return skip(`label '${trigger.label}' on ${what} is not a taskcap label (taskcap labels: ${knownLabels(config)})`);
      if (item.state === 'closed') return skip(`${what} is closed`);
      const label = findBudgetLabel(labels);
      return one(withBudget({ trigger, className }, config, label ? { source: `Label '${label}'`, text: label.slice('budget:'.length) } : undefined));
    }
    case 'issue-comment':
    case 'review-comment':
    case 'review': {
      const body = trigger.kind === 'review' ? trigger.review.body : trigger.comment.body;
      const command: AgentCommand = parseAgentCommand(body, classWords(config)) ?? { instructions: body.trim() };
      const onPull = trigger.kind !== 'issue-comment' || trigger.issue.isPull;
      const labels = trigger.kind === 'issue-comment' ? trigger.issue.labels : trigger.pull.labels;
      // `/agent` on a PR is a review round unless it names a class; on an issue it follows the issue's class label.
      const className = command.className ?? (onPull ? 'review' : classOfLabels(labels, config) ?? 'fix');
      if (!config.classes[className]) return invalid(`class '${className}' is not configured; known classes: ${classes.join(', ')}.`);
      const state = trigger.kind === 'issue-comment' ? trigger.issue.state : trigger.pull.state;
      if (state === 'closed') return skip(`${onPull ? 'pull request' : 'issue'} #${trigger.kind === 'issue-comment' ? trigger.issue.number : trigger.pull.number} is closed`);
      if (command.unclear) return unclearCommand(command.unclear, config);
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
      if (due.length === 0 && Object.values(config.tasks).some((t) => t.fanout && t.schedule === trigger.cron.trim())) {
        return skip(`no task in the config has schedule '${trigger.cron}' outside fan-out (those run with mode: plan, shard and collect)`);
      }
      if (due.length === 0) return unmatchedSchedule(trigger.cron.trim(), config);
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
        if (!t) {
          const near = closest(name, Object.keys(config.tasks));
          return invalid(`workflow_dispatch asked for task '${name}', which the config does not define${near ? `. Did you mean '${near}'?` : ''} (tasks: ${Object.keys(config.tasks).join(', ') || 'none'}).`);
        }
        if (t.fanout) return invalid(`task '${name}' is a fan-out task: run it with mode: plan, then shard (a matrix job), then collect, as in the README's fan-out workflow.`);
        return one(withBudget({ trigger, className: t.class, configured: { name, prompt: t.prompt } }, config, override));
      }
      if (!prompt?.trim()) return skip("workflow_dispatch gave neither a 'task' nor a 'prompt' input");
      const className = trigger.inputs.class || 'fix';
      if (!config.classes[className]) {
        const near = closest(className, classes);
        return invalid(`workflow_dispatch input class='${className}' is not a class${near ? `. Did you mean '${near}'?` : ''}; known classes: ${classes.join(', ')}.`);
      }
      const adhocName = (trigger.inputs.name || '').replace(/[^a-z0-9._-]+/gi, '-').replace(/\.{2,}/g, '.').slice(0, 40).replace(/^[-.]+|[-.]+$/g, '').replace(/(\.lock)+$/i, '');
      return one(withBudget({ trigger, className, instructions: prompt, adhocName: adhocName || undefined }, config, override));
    }
  }
}

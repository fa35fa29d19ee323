import type { TaskcapConfig } from '../config/config.js';
import type { Skip, Task } from './task.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface TriggerInput {
  eventName: string;
  payload: Json;
  config: TaskcapConfig;
}

const skip = (reason: string): Skip => ({ skip: true, reason });

/** The labels that select a class, for messages. */
const knownLabels = (config: TaskcapConfig) => Object.keys(config.labels).sort().join(', ');

/** `issues.labeled` with a class label → work on the issue, on `taskcap/issue-<n>`. */
function fromIssueLabel(payload: Json, config: TaskcapConfig): Task | Skip {
  const issue = obj(payload.issue);
  const label = str(obj(payload.label).name);
  const number = issue.number;
  if (typeof number !== 'number') return skip('the issues event has no issue number');
  const className = config.labels[label];
  if (!className) return skip(`label '${label}' on issue #${number} is not a taskcap label (taskcap labels: ${knownLabels(config)})`);
  if (str(issue.state) === 'closed') return skip(`issue #${number} is closed`);
  const spec = config.classes[className];
  const title = str(issue.title);
  return {
    key: `issue-${number}`,
    className,
    spec,
    budget: spec.budget,
    goal: `Resolve issue #${number} (its title and text follow as data).`,
    title,
    data: [{ source: `issue #${number}`, author: str(obj(issue.user).login) || undefined, text: `Title: ${title}\n\n${str(issue.body)}` }],
    target: { kind: 'issue', number },
    branch: `taskcap/issue-${number}`,
    receiptOn: number,
    actor: str(obj(payload.sender).login) || undefined,
  };
}

/** Map an event to a task, or say in one line why it is not one. No API calls: a skip touches nothing. */
export function resolveTask({ eventName, payload, config }: TriggerInput): Task | Skip {
  const action = str(payload.action);
  if (eventName === 'issues' && action === 'labeled') return fromIssueLabel(payload, config);
  return skip(`event '${eventName}${action ? `.${action}` : ''}' does not start taskcap work`);
}

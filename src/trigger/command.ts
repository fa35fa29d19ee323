import { parseBudget } from '../config/classes.js';
import { formatInt } from '../util/format.js';

/** A `/agent [class] [budget=60k]` command: first line only; the rest of the comment is the instructions. */
export interface AgentCommand {
  /** The first word when it names a known class. */
  className?: string;
  budgetText?: string;
  instructions: string;
}

const COMMAND = /^\s*\/agent(?:\s+(.*))?$/i;

/**
 * The command in a comment body, or undefined when the body does not start with `/agent`. A first word that is a
 * known class selects it; other words on the first line join the instructions ("/agent fix the redirect").
 */
export function parseAgentCommand(body: string | null | undefined, knownClasses: string[]): AgentCommand | undefined {
  if (!body) return undefined;
  const [first, ...rest] = body.replace(/\r\n?/g, '\n').split('\n');
  const m = COMMAND.exec(first);
  if (!m) return undefined;
  const words = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const command: AgentCommand = { instructions: '' };
  const kept: string[] = [];
  words.forEach((w, i) => {
    const budget = /^budget[=:](\S+)$/i.exec(w);
    if (budget) command.budgetText = budget[1];
    else if (i === 0 && knownClasses.includes(w.toLowerCase())) command.className = w.toLowerCase();
    else kept.push(w);
  });
  command.instructions = [kept.join(' '), rest.join('\n').trim()].filter(Boolean).join('\n');
  return command;
}

/** A `budget:60k` / `budget:60000` label, if any, among the labels. */
export function budgetLabel(labels: string[]): string | undefined {
  return labels.find((l) => /^budget:/i.test(l));
}

export type BudgetResult = { budget: number } | { error: string };

/** Apply a budget override (from a label or a command) within [20,000, max-budget]. */
export function overrideBudget(source: string, text: string, maxBudget: number | undefined): BudgetResult {
  const n = parseBudget(text);
  if (n === undefined) return { error: `${source} does not give a budget in tokens; write it like budget:60k or budget:60000.` };
  if (n < 20_000) return { error: `${source} asks for ${formatInt(n)} tokens; the smallest task budget is 20,000 (budget:20k).` };
  if (maxBudget !== undefined && n > maxBudget) {
    return { error: `${source} asks for ${formatInt(n)} tokens, above the repository's max-budget of ${formatInt(maxBudget)}.` };
  }
  return { budget: n };
}

import { MIN_BUDGET, parseBudget } from '../config/classes.js';
import { go, invalid, type Decision } from '../decision.js';
import { formatInt } from '../util/format.js';

/** A comment (or review) body that starts with `/agent` asks taskcap for work. */
export const AGENT_COMMAND = /^\s*\/agent\b/i;

/** A `/agent [class] [budget=60k]` command: first line only; the rest of the comment is the instructions. */
export interface AgentCommand {
  /** The first word when it names a known class. */
  className?: string;
  budgetText?: string;
  instructions: string;
}

/**
 * The command in a comment body, or undefined when the body does not start with `/agent`. A first word that is a
 * known class selects it; other words on the first line join the instructions ("/agent fix the redirect").
 */
export function parseAgentCommand(body: string | null | undefined, knownClasses: string[]): AgentCommand | undefined {
  if (!body) return undefined;
  const [first, ...rest] = body.replace(/\r\n?/g, '\n').split('\n');
  const start = AGENT_COMMAND.exec(first);
  if (!start) return undefined;
  const words = first.slice(start[0].length).trim().split(/\s+/).filter(Boolean);
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

/** The `budget:60k` / `budget:60000` label, if any, among an issue's labels. */
export function findBudgetLabel(labels: string[]): string | undefined {
  return labels.find((l) => /^budget:/i.test(l));
}

/** Apply a budget override (from a label or a command) within [MIN_BUDGET, max-budget]. */
export function overrideBudget(source: string, text: string, maxBudget: number | undefined): Decision<number> {
  const n = parseBudget(text);
  if (n === undefined) return invalid(`${source} does not give a budget in tokens; write it like budget:60k or budget:60000.`);
  if (n < MIN_BUDGET) return invalid(`${source} asks for ${formatInt(n)} tokens; the smallest task budget is ${formatInt(MIN_BUDGET)} (budget:${MIN_BUDGET / 1000}k).`);
  if (maxBudget !== undefined && n > maxBudget) {
    return invalid(`${source} asks for ${formatInt(n)} tokens, above the repository's max-budget of ${formatInt(maxBudget)}.`);
  }
  return go(n);
}

import { budgetText, MIN_BUDGET, parseBudget } from '../config/classes.js';
import { go, invalid, type Go, type Invalid } from '../decision.js';
import { closest } from '../util/did-you-mean.js';
import { formatInt } from '../util/format.js';

/** A comment (or review) body that starts with `/agent` asks taskcap for work. */
export const AGENT_COMMAND = /^\s*\/agent\b/i;

/** A `/agent [class] [budget=60k]` command: first line only; the rest of the comment is the instructions. */
export interface AgentCommand {
  /** The class the first word names (a class name, or the word of its `agent:` label such as `migrate`). */
  className?: string;
  budgetText?: string;
  instructions: string;
  /**
   * A word that looks like a slip for a class (`fixx`) or for `budget=` (`budjet=60k`): a question for the person
   * who asked, never silently read as instructions under the default class.
   */
  unclear?: { word: string; kind: 'class' | 'budget'; suggestion: string };
}

const BUDGET = /^budget[=:](\S*)$/i;
const KEY_VALUE = /^([a-z]+)[=:]\S*$/i;

/**
 * The command in a comment body, or undefined when the body does not start with `/agent`. The first word (budget
 * aside) selects a class when it names one; other words on the first line join the instructions ("/agent fix the
 * redirect"). `classWords` maps each word that names a class to the class (a plain list: the class names).
 */
export function parseAgentCommand(body: string | null | undefined, classWords: readonly string[] | ReadonlyMap<string, string>): AgentCommand | undefined {
  if (!body) return undefined;
  const [first, ...rest] = body.replace(/\r\n?/g, '\n').split('\n');
  const start = AGENT_COMMAND.exec(first);
  if (!start) return undefined;
  const words = first.slice(start[0].length).trim().split(/\s+/).filter(Boolean);
  const classes: ReadonlyMap<string, string> = Array.isArray(classWords) ? new Map(classWords.map((c) => [c, c])) : (classWords as ReadonlyMap<string, string>);
  const command: AgentCommand = { instructions: '' };
  const kept: string[] = [];
  let classDecided = false;
  for (const w of words) {
    const budget = BUDGET.exec(w);
    if (budget) {
      command.budgetText = budget[1];
      continue;
    }
    const key = KEY_VALUE.exec(w)?.[1];
    if (key && !command.unclear && closest(key, ['budget'], 2)) {
      command.unclear = { word: w, kind: 'budget', suggestion: `budget=${w.slice(key.length + 1)}` };
      continue;
    }
    if (!classDecided) {
      classDecided = true;
      // "/agent fix: the redirect" names the class too.
      const word = w.replace(/[,:;.!?]+$/, '').toLowerCase();
      const named = classes.get(word);
      if (named) {
        command.className = named;
        continue;
      }
      const near = closest(word, classes.keys());
      if (near && !command.unclear) {
        command.unclear = { word: w, kind: 'class', suggestion: near };
        continue;
      }
    }
    kept.push(w);
  }
  command.instructions = [kept.join(' '), rest.join('\n').trim()].filter(Boolean).join('\n');
  return command;
}

/** The `budget:60k` / `budget:60000` label, if any, among an issue's labels. */
export function findBudgetLabel(labels: string[]): string | undefined {
  return labels.find((l) => /^budget:/i.test(l));
}

/**
 * Apply a budget override (from a label, a command or a dispatch input) within [20,000, ceiling]. Every refusal
 * quotes what was written and says what to write instead.
 */
export function overrideBudget(source: string, text: string, ceiling: { tokens: number; configured: boolean }): Go<number> | Invalid {
  const n = parseBudget(text);
  const range = `between ${formatInt(MIN_BUDGET)} (budget:${budgetText(MIN_BUDGET)}) and ${formatInt(ceiling.tokens)} (budget:${budgetText(ceiling.tokens)})`;
  if (n === undefined) {
    const millions = /^\s*[\d.]+\s*m\s*$/i.test(text) ? ' "m" is not a unit, so a slip of one key cannot ask for millions of tokens.' : '';
    return invalid(`${source} does not give a budget in tokens; write it like budget:60k or budget:60000, ${range}.${millions}`);
  }
  if (n < MIN_BUDGET) return invalid(`${source} asks for ${formatInt(n)} tokens; the smallest task budget is ${formatInt(MIN_BUDGET)} (budget:${budgetText(MIN_BUDGET)}).`);
  if (n > ceiling.tokens) {
    const whose = ceiling.configured
      ? `the repository's max-budget of ${formatInt(ceiling.tokens)}`
      : `taskcap's built-in max-budget of ${formatInt(ceiling.tokens)} (the repository's config sets none; a maintainer can raise it with max-budget)`;
    return invalid(`${source} asks for ${formatInt(n)} tokens, above ${whose}. Use budget:${budgetText(ceiling.tokens)} or less.`);
  }
  return go(n);
}

import { MIN_BUDGET, parseBudget } from './classes.js';
import { closest } from '../util/did-you-mean.js';
import { formatInt } from '../util/format.js';

/** Checks of single config values, shared by every part of the config: each problem names the key, quotes the value and says the fix. */

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const show = (v: unknown) => `'${typeof v === 'string' ? v : JSON.stringify(v)}'`;

export function unknownKeys(where: string, o: Obj, allowed: string[], problems: string[]) {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const near = closest(k, allowed);
    problems.push(`${where}${k}: unknown key ${show(k)}${near ? ` (did you mean '${near}'?)` : ''}. Allowed keys: ${allowed.join(', ')}.`);
  }
}

export function budgetValue(key: string, v: unknown, problems: string[]): number | undefined {
  const n = typeof v === 'string' ? parseBudget(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    const millions = typeof v === 'string' && /^\s*[\d.]+\s*m\s*$/i.test(v) ? ' ("m" is not a unit: write millions in thousands, like 1500k)' : '';
    problems.push(`${key}: ${show(v)} is not a whole number of tokens${millions}. Example: ${key.split('.').pop()}: 60000 (or "60k").`);
    return undefined;
  }
  if (n < MIN_BUDGET) {
    problems.push(`${key}: ${show(v)} is below ${formatInt(MIN_BUDGET)} tokens, the smallest task budget the API accepts. Use ${MIN_BUDGET} or more.`);
    return undefined;
  }
  return n;
}

export function usd(key: string, v: unknown, problems: string[]): number | undefined {
  const n = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isFinite(n) && n > 0) return n;
  problems.push(`${key}: ${show(v)} must be a positive number of US dollars, e.g. 2.50.`);
  return undefined;
}

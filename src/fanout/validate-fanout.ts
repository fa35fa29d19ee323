import { budgetValue, isObj, show, unknownKeys, usd } from '../config/config-values.js';
import type { TaskcapConfig } from '../config/config.js';
import { formatInt } from '../util/format.js';
import {
  DEFAULT_DISCOVER_BUDGET,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_ISSUES,
  DEFAULT_MAX_SHARDS,
  DEFAULT_MAX_UNITS,
  DEFAULT_SHARD_SIZE,
  MAX_MATRIX_JOBS,
  type FanoutSpec,
  type PoolSpec,
  type ShardSpec,
  type SweepSpec,
  type UnitSource,
} from './fanout-spec.js';

/** The keys that make a configured task a fan-out task. */
export const FANOUT_KEYS = ['units', 'shard', 'pool', 'sweep'] as const;

const UNITS_KEYS = ['files', 'containing', 'exclude', 'command', 'discover', 'discover-budget', 'max'];
const SHARD_KEYS = ['size', 'max-shards', 'budget', 'max-attempts'];
const POOL_KEYS = ['tokens', 'max-cost-usd'];
const SWEEP_KEYS = ['label', 'max-issues', 'tracking-issue'];

/** A whole number in [min, max], or a problem that says so. */
function wholeNumber(key: string, v: unknown, min: number, max: number, problems: string[]): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  problems.push(`${key}: ${show(v)} must be a whole number from ${min} to ${formatInt(max)}.`);
  return undefined;
}

function globList(key: string, v: unknown, problems: string[]): string[] | undefined {
  const list = typeof v === 'string' ? [v] : v;
  if (Array.isArray(list) && list.length > 0 && list.every((g) => typeof g === 'string' && g.trim() !== '' && !g.startsWith('/') && !g.split('/').includes('..'))) {
    return list.map((g) => g.trim());
  }
  problems.push(`${key}: ${show(v)} must be a glob inside the repository, or a list of them, e.g. "src/**/*.js".`);
  return undefined;
}

/**
 * The fan-out part of `tasks.<name>`: `units` (or `sweep`), `shard` and `pool`. Returns undefined for a task with
 * none of those keys (an ordinary scheduled task). `classBudget` is the task class's budget, the shard budget's default.
 */
export function validateFanout(key: string, v: Record<string, unknown>, classBudget: number, config: TaskcapConfig, problems: string[]): FanoutSpec | undefined {
  if (!FANOUT_KEYS.some((k) => v[k] !== undefined)) return undefined;
  const before = problems.length;
  if (v.units !== undefined && v.sweep !== undefined) problems.push(`${key}: a task has either units (a migration) or sweep (issues), not both. Split it into two tasks.`);
  if (v.units === undefined && v.sweep === undefined) {
    problems.push(`${key}: shard and pool need a work list: add units, e.g. units: { files: "src/**/*.js", containing: "require(" }, or sweep: { label: "agent:queue" }.`);
  }
  const units = v.units !== undefined ? unitSource(`${key}.units`, v.units, problems) : undefined;
  const sweep = v.sweep !== undefined ? sweepSpec(`${key}.sweep`, v.sweep, problems) : undefined;
  const shard = shardSpec(`${key}.shard`, v.shard, classBudget, config, problems);
  const pool = poolSpec(`${key}.pool`, v.pool, shard, problems);
  const maxUnits = isObj(v.units) && v.units.max !== undefined ? wholeNumber(`${key}.units.max`, v.units.max, 1, 100_000, problems) : DEFAULT_MAX_UNITS;
  if (problems.length > before || !shard || !pool || maxUnits === undefined || (!units && !sweep)) return undefined;
  return { ...(units ? { units } : {}), ...(sweep ? { sweep } : {}), shard, pool, maxUnits };
}

function unitSource(key: string, v: unknown, problems: string[]): UnitSource | undefined {
  if (!isObj(v)) {
    problems.push(`${key}: must be a mapping such as { files: "src/**/*.js", containing: "require(" } or { command: "./list-units.sh" }, got ${show(v)}.`);
    return undefined;
  }
  unknownKeys(`${key}.`, v, UNITS_KEYS, problems);
  const given = (['files', 'command', 'discover'] as const).filter((k) => v[k] !== undefined && v[k] !== false);
  if (given.length !== 1) {
    problems.push(`${key}: give exactly one of files (globs), command (one unit per output line) or discover: true (a capped explore pass), got ${given.length ? given.join(' and ') : 'none'}.`);
    return undefined;
  }
  if (v.containing !== undefined && given[0] !== 'files') problems.push(`${key}.containing: only works with files (it keeps the files that contain the text).`);
  if (v.exclude !== undefined && given[0] !== 'files') problems.push(`${key}.exclude: only works with files.`);
  if (v['discover-budget'] !== undefined && given[0] !== 'discover') problems.push(`${key}.discover-budget: only works with discover: true.`);
  switch (given[0]) {
    case 'files': {
      const files = globList(`${key}.files`, v.files, problems);
      const exclude = v.exclude === undefined ? [] : globList(`${key}.exclude`, v.exclude, problems);
      let containing: string | undefined;
      if (v.containing !== undefined) {
        if (typeof v.containing === 'string' && v.containing !== '' && !/[\n\r\0]/.test(v.containing)) containing = v.containing;
        else problems.push(`${key}.containing: ${show(v.containing)} must be a piece of text on one line, e.g. "require(".`);
      }
      return files && exclude ? { kind: 'files', files, exclude, ...(containing !== undefined ? { containing } : {}) } : undefined;
    }
    case 'command':
      if (typeof v.command === 'string' && v.command.trim() !== '') return { kind: 'command', command: v.command };
      problems.push(`${key}.command: ${show(v.command)} must be a shell command that prints one unit per line, e.g. "git ls-files 'src/*.js'".`);
      return undefined;
    case 'discover': {
      if (v.discover !== true) {
        problems.push(`${key}.discover: ${show(v.discover)} must be true.`);
        return undefined;
      }
      const budget = v['discover-budget'] === undefined ? DEFAULT_DISCOVER_BUDGET : budgetValue(`${key}.discover-budget`, v['discover-budget'], problems);
      return budget === undefined ? undefined : { kind: 'discover', budget };
    }
  }
}

function shardSpec(key: string, v: unknown, classBudget: number, config: TaskcapConfig, problems: string[]): ShardSpec | undefined {
  if (v !== undefined && !isObj(v)) {
    problems.push(`${key}: must be a mapping such as { size: 10, max-shards: 8, budget: 60k }, got ${show(v)}.`);
    return undefined;
  }
  const o = v ?? {};
  unknownKeys(`${key}.`, o, SHARD_KEYS, problems);
  const size = o.size === undefined ? DEFAULT_SHARD_SIZE : wholeNumber(`${key}.size`, o.size, 1, 1000, problems);
  const maxShards = o['max-shards'] === undefined ? DEFAULT_MAX_SHARDS : wholeNumber(`${key}.max-shards`, o['max-shards'], 1, MAX_MATRIX_JOBS, problems);
  const budget = o.budget === undefined ? classBudget : budgetValue(`${key}.budget`, o.budget, problems);
  const maxAttempts = o['max-attempts'] === undefined ? DEFAULT_MAX_ATTEMPTS : wholeNumber(`${key}.max-attempts`, o['max-attempts'], 1, 20, problems);
  if (budget !== undefined && config.maxBudget !== undefined && budget > config.maxBudget) {
    problems.push(`${key}.budget: ${formatInt(budget)} is above max-budget (${formatInt(config.maxBudget)}). Lower the shard budget or raise max-budget.`);
    return undefined;
  }
  if (size === undefined || maxShards === undefined || budget === undefined || maxAttempts === undefined) return undefined;
  return { size, maxShards, budget, maxAttempts };
}

function poolSpec(key: string, v: unknown, shard: ShardSpec | undefined, problems: string[]): PoolSpec | undefined {
  if (v !== undefined && !isObj(v)) {
    problems.push(`${key}: must be a mapping such as { tokens: 600k, max-cost-usd: 20 }, got ${show(v)}.`);
    return undefined;
  }
  const o = v ?? {};
  unknownKeys(`${key}.`, o, POOL_KEYS, problems);
  // Without a pool, a run may spend every shard's full budget: the pool is then what the shard settings imply.
  const tokens = o.tokens === undefined ? (shard ? shard.budget * shard.maxShards : undefined) : budgetValue(`${key}.tokens`, o.tokens, problems);
  const maxCostUsd = o['max-cost-usd'] === undefined ? undefined : usd(`${key}.max-cost-usd`, o['max-cost-usd'], problems);
  if (tokens === undefined || (o['max-cost-usd'] !== undefined && maxCostUsd === undefined)) return undefined;
  return { tokens, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) };
}

function sweepSpec(key: string, v: unknown, problems: string[]): SweepSpec | undefined {
  if (!isObj(v)) {
    problems.push(`${key}: must be a mapping such as { label: "agent:queue", max-issues: 6 }, got ${show(v)}.`);
    return undefined;
  }
  unknownKeys(`${key}.`, v, SWEEP_KEYS, problems);
  if (typeof v.label !== 'string' || v.label.trim() === '' || v.label.includes(',')) {
    problems.push(`${key}.label: ${show(v.label)} must be one label name (no commas), e.g. "agent:queue".`);
    return undefined;
  }
  const maxIssues = v['max-issues'] === undefined ? DEFAULT_MAX_ISSUES : wholeNumber(`${key}.max-issues`, v['max-issues'], 1, MAX_MATRIX_JOBS, problems);
  const trackingIssue = v['tracking-issue'] === undefined ? undefined : wholeNumber(`${key}.tracking-issue`, v['tracking-issue'], 1, 1e9, problems);
  if (maxIssues === undefined || (v['tracking-issue'] !== undefined && trackingIssue === undefined)) return undefined;
  return { label: v.label.trim(), maxIssues, ...(trackingIssue !== undefined ? { trackingIssue } : {}) };
}

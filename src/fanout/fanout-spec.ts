/**
 * A fan-out task of `.github/taskcap.yml`: how its units are found (a work list, or the open issues carrying a
 * sweep label), how they are grouped into shards, and the pool every run of the task spends from.
 */

/** Where a migration's units come from. All three are deterministic except discovery (one capped explore pass). */
export type UnitSource =
  | { kind: 'files'; files: string[]; containing?: string; exclude: string[] }
  | { kind: 'command'; command: string }
  | { kind: 'discover'; budget: number };

export interface ShardSpec {
  /** Units per shard (a shard with a smaller budget share gets proportionally fewer). */
  size: number;
  /** Jobs per run, at most GitHub's 256 per matrix. */
  maxShards: number;
  /** Loop-token budget per shard (the class budget unless set). */
  budget: number;
  /** A unit that was not done after this many shard runs is parked with the reason, not retried. */
  maxAttempts: number;
}

export interface PoolSpec {
  /** Loop tokens one run (one plan) may spend across all its shards. */
  tokens: number;
  /** Dollars one run may spend across all its shards. */
  maxCostUsd?: number;
}

export interface SweepSpec {
  /** Open issues carrying this label are the units, oldest first. */
  label: string;
  maxIssues: number;
  /** The issue that receives the sweep summary after each collect. */
  trackingIssue?: number;
}

export interface FanoutSpec {
  units?: UnitSource;
  sweep?: SweepSpec;
  shard: ShardSpec;
  pool: PoolSpec;
  /** Largest work list one plan takes in (the rest waits for the next run). */
  maxUnits: number;
}

/** GitHub runs at most 256 jobs per matrix. */
export const MAX_MATRIX_JOBS = 256;
export const DEFAULT_SHARD_SIZE = 10;
export const DEFAULT_MAX_SHARDS = 8;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_MAX_ISSUES = 10;
export const DEFAULT_MAX_UNITS = 10_000;
/** The discovery pass's budget unless `units.discover-budget` says otherwise. */
export const DEFAULT_DISCOVER_BUDGET = 30_000;
/** A unit is one file path, one output line, one issue: longer is not a unit. */
export const MAX_UNIT_LENGTH = 300;

import { UserError } from '../util/errors.js';

/**
 * Names a fan-out run is known by. A shard id (`<task>/<plan>/<shard>`) is what the matrix carries; its branch
 * lives under `taskcap/shards/`, beside (never under) the task branch `taskcap/task-<name>`: git cannot hold both
 * `taskcap/task-x` and `taskcap/task-x/shard-1`, since one ref cannot also be a directory of refs.
 */

export const shardId = (task: string, plan: number, n: number) => `${task}/${plan}/${n}`;

export function parseShardId(raw: string): { task: string; plan: number; n: number } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/([1-9]\d{0,8})\/([1-9]\d{0,3})$/.exec(raw.trim());
  if (!m) throw new UserError(`Input 'shard' must be a shard id from the plan's matrix, like esm-migration/3/1 (pass shard: \${{ matrix.shard }}); got '${raw}'.`);
  return { task: m[1], plan: Number(m[2]), n: Number(m[3]) };
}

export const taskBranchOf = (task: string) => `taskcap/task-${task}`;
export const shardBranchOf = (task: string, plan: number, n: number) => `taskcap/shards/${task}/${plan}-${n}`;
export const shardBranchPrefix = (task: string) => `taskcap/shards/${task}/`;

export { runCollectMode } from './collect-mode.js';
export { runPlanMode } from './plan-mode.js';
export { runShardMode } from './shard-mode.js';

import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import type { Ports } from '../ports.js';
import type { FanoutModeResult } from './fanout-mode.js';

/** The fan-out modes, each loaded only when a job runs it (most jobs run `run`). */
export async function runFanoutMode(mode: 'plan' | 'shard' | 'collect', inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<FanoutModeResult> {
  switch (mode) {
    case 'plan':
      return (await import('./plan-mode.js')).runPlanMode(inputs, ctx, ports);
    case 'shard':
      return (await import('./shard-mode.js')).runShardMode(inputs, ctx, ports);
    case 'collect':
      return (await import('./collect-mode.js')).runCollectMode(inputs, ctx, ports);
  }
}

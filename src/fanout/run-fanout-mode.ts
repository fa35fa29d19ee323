import type { Inputs } from '../action/inputs.js';
import type { RunnerContext } from '../action/runner-context.js';
import type { Ports } from '../ports.js';
import type { FanoutModeResult } from './fanout-mode.js';

/** The fan-out modes, loaded (as one chunk of the bundle) only when a job runs one: most jobs run `run`. */
export async function runFanoutMode(mode: 'plan' | 'shard' | 'collect', inputs: Inputs, ctx: RunnerContext, ports: Ports): Promise<FanoutModeResult> {
  const modes = await import('./fanout-modes.js');
  switch (mode) {
    case 'plan':
      return modes.runPlanMode(inputs, ctx, ports);
    case 'shard':
      return modes.runShardMode(inputs, ctx, ports);
    case 'collect':
      return modes.runCollectMode(inputs, ctx, ports);
  }
}

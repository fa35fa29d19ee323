// Jest setup (setupFilesAfterEnv): worlds run their steps in-process unless TASKCAP_TIER=bundle asks for the bundle.
// The same tests then prove the orchestration cheaply by default and the shipped bundle in the complete suite.
import { runInProcess } from '../sim/run-in-process.js';
import { setDefaultRunner } from '../sim/world.mjs';

if (process.env.TASKCAP_TIER !== 'bundle') setDefaultRunner(runInProcess);

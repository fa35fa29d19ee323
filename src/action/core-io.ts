import path from 'node:path';
import * as core from '@actions/core';
import { inert, type ActionIO } from './io.js';

/** The runner's own workflow commands, through @actions/core: the only module that imports it. */
export function coreIO(env: Record<string, string | undefined>): ActionIO {
  return {
    getInput: (name) => core.getInput(name),
    setSecret: (secret) => core.setSecret(secret),
    setOutput: (name, value) => core.setOutput(name, value),
    setFailed: (message) => core.setFailed(inert(message)),
    appendSummary: async (markdown) => {
      if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
    },
    uploadArtifact: async (name, file) => {
      // Loaded only when asked: the artifact client is large.
      const { DefaultArtifactClient } = await import('@actions/artifact');
      await new DefaultArtifactClient().uploadArtifact(name, [file], path.dirname(file), { retentionDays: 30 });
    },
    log: {
      info: (m) => core.info(inert(m)),
      warn: (m) => core.warning(inert(m)),
      // Debug lines carry the time since the process started: where the action's own time goes (RUNNER_DEBUG=1).
      debug: (m) => core.debug(inert(`[+${Math.round(performance.now())} ms] ${m}`)),
      group: (title, work) => core.group(inert(title), work),
    },
  };
}

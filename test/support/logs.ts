import type { Log } from '../../src/ports.js';

/** A log that keeps nothing (for code under test whose log lines are not what the test is about). */
export const silentLog: Log = {
  info: () => {},
  warn: () => {},
  debug: () => {},
  group: (_title, work) => work(),
};

/** A log that keeps every line, prefixed by its level, and the group titles in order. */
export function recordingLog(): Log & { lines: string[]; groups: string[] } {
  const lines: string[] = [];
  const groups: string[] = [];
  return {
    lines,
    groups,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
    group: (title, work) => {
      groups.push(title);
      return work();
    },
  };
}

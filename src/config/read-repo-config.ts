import type { GitHub } from '../github/github.js';
import type { Log } from '../ports.js';
import { UserError } from '../util/errors.js';
import { defaultConfig, type TaskcapConfig } from './config.js';

/** The repository's config from the default branch, merged over the built-in classes (none: the built-ins alone). */
export async function readRepoConfig(github: GitHub, configPath: string, defaultBranch: string, log: Pick<Log, 'debug'>): Promise<TaskcapConfig> {
  const text = await github.readFile(configPath, defaultBranch);
  if (text === undefined) {
    log.debug(`No ${configPath} on ${defaultBranch}; using the built-in classes.`);
    return defaultConfig();
  }
  // The YAML parser loads only when there is YAML to parse: most repositories run on the built-in classes.
  const { ConfigError, parseConfig } = await import('./load-config.js');
  try {
    return parseConfig(text, configPath);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new UserError(`The taskcap config '${configPath}' could not be read: ${(e as Error).message}`);
  }
}

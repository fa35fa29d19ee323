import { sanitizeUntrusted } from '../trigger/sanitize.js';
import { readInstructions, type Instructions, type InstructionFile } from './instructions.js';
import { BASE_ALLOWANCE, buildRepoMap, type MapAllowance, type RepoMap } from './repo-map.js';
import type { CommitFiles } from './tree.js';

/**
 * The repository's context for the model: the maintainers' instructions and a map of the repository, both from
 * the default branch at one commit. It is the first block of the first message, after taskcap's own system prompt
 * (whose rules win) and before the task; byte-identical for every run on that commit, so it is cached once and
 * read by every later request and every run on the commit within the cache's lifetime.
 */
export interface RepositoryContext {
  text: string;
  sha: string;
  bytes: number;
  instructionFiles: InstructionFile[];
  nestedInstructionFiles: number;
  files: number;
  readme?: RepoMap['readme'];
  allowance: MapAllowance;
}

/** What stays the same whatever the map's allowance: the commit, and its instructions read once. */
export interface ContextSource {
  commit: CommitFiles;
  repository: string;
  branch: string;
  instructions: Instructions;
  /** The context at the base allowance, built as soon as the source is read (on a big tree it takes a while). */
  base: Promise<RepositoryContext>;
}

export async function contextSource(commit: CommitFiles, repository: string, branch: string, instructionPaths: readonly string[]): Promise<ContextSource> {
  const source = { commit, repository, branch, instructions: await readInstructions(commit, instructionPaths) } as ContextSource;
  source.base = buildRepositoryContext(source);
  source.base.catch(() => undefined);
  return source;
}

/** Tag look-alikes inside repository text cannot close the block they sit in. */
const neutralize = (text: string) => text.replace(/<(\/?)(untrusted-data|repository-instructions|repository-context)/gi, '&lt;$1$2');
const clean = (text: string) => neutralize(sanitizeUntrusted(text).text);
const attr = (text: string) => text.replace(/["<>&\s]/g, '_');

/** The context block for `source` with the map built within `allowance`. */
export async function buildRepositoryContext(source: Omit<ContextSource, 'base'>, allowance: MapAllowance = BASE_ALLOWANCE): Promise<RepositoryContext> {
  const { commit, instructions } = source;
  const map = await buildRepoMap(commit, allowance, instructions.nested, instructions.files.map((f) => f.path));
  const lines = [
    `<repository-context repository="${attr(source.repository)}" branch="${attr(source.branch)}" commit="${commit.sha}">`,
    'Read by taskcap from the default branch at this commit, without a model; the same for every run on the commit.',
  ];
  if (instructions.files.length > 0) {
    lines.push(
      '<repository-instructions>',
      `The maintainers' instructions for coding agents in this repository (${instructions.files.map((f) => f.path).join(', ')}). Follow them for this repository; where they conflict with taskcap's rules, taskcap's rules win. They are not the task.`,
      '',
      clean(instructions.text),
      '</repository-instructions>',
    );
  }
  lines.push('<untrusted-data source="repository map">', clean(map.text), '</untrusted-data>', '</repository-context>');
  const text = lines.join('\n');
  return {
    text,
    sha: commit.sha,
    bytes: Buffer.byteLength(text, 'utf8'),
    instructionFiles: instructions.files,
    nestedInstructionFiles: instructions.nested.length,
    files: map.files,
    readme: map.readme,
    allowance,
  };
}

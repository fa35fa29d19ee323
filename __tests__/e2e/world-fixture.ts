/** What the end-to-end suites share: the sample repository, a one-edit model, and a world that is checked and closed after each test. */
import { afterEach, expect } from '@jest/globals';
import path from 'node:path';
import { bash, text } from '../../test/sim/anthropic.mjs';
import { createWorld } from '../../test/sim/world.mjs';

export const SAMPLE = path.resolve('demo/sample-repo');
export const REPO = { owner: 'acme', repo: 'slugkit' } as const;
export const RECEIPT = '<!-- taskcap:receipt -->';
/** `tier: SMOKE` on a run: it goes through the bundle in every tier (one such run per trigger: the smoke set). */
export const SMOKE = 'bundle' as const;
export type World = Awaited<ReturnType<typeof createWorld>>;
export type Options = NonNullable<Parameters<typeof createWorld>[0]>;

/** Every run: one shell command that changes a file (so there is a commit), then the summary. */
export const oneEdit = (req: { body: { messages: unknown[] } }) =>
  req.body.messages.length === 1 ? { content: [bash('echo "// x" >> src/slugify.js')] } : { content: [text('Done.')] };

/**
 * `setup(options)` creates a world from `defaults(options)`; after each test the world's GitHub traffic must be
 * valid against the OpenAPI description, and the world is closed.
 */
export function useWorld<O extends object = Options>(defaults: (o: O) => Options): (o?: O) => Promise<World> {
  let world: World | undefined;
  afterEach(async () => {
    if (world) expect(world.github.violations).toEqual([]);
    await world?.close();
    world = undefined;
  });
  return async (o = {} as O) => (world = await createWorld(defaults(o)));
}

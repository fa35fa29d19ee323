#!/usr/bin/env node
// Cuts GitHub's published REST description down to the operations the fake GitHub
// (test/sim/github.mjs) serves, plus every component they reference, transitively, and the
// webhook payload schemas test/sim/payloads.mjs is checked against. The full description is
// 13 MB and not a project dependency; the two subsets (~400 KB each) are committed as
// test/sim/openapi/api.github.com.subset.json and test/sim/openapi/webhooks.subset.json.
// Both are faithful cuts: the fix-ups the validators need are applied in memory by
// applySpecFixups() in test/sim/github.mjs.
//
// Usage:
//   npm i --prefix /tmp/oa @octokit/openapi@23.0.2
//   node scripts/gen-openapi-subset.mjs /tmp/oa/node_modules/@octokit/openapi/generated/api.github.com.json
// or set OCTOKIT_OPENAPI_JSON to that path (or OCTOKIT_OPENAPI_PREFIX=/tmp/oa).
// Optional second and third arguments override the two output paths.
//
// To serve another endpoint: add its operationId below, re-run, and (if it needs state)
// add a handler in test/sim/github.mjs. Unhandled operations are answered with a mock.

/** operationIds kept in the subset, in no particular order. */
export const OPERATIONS = [
  'users/get-authenticated',
  'repos/get',
  'repos/get-content',
  'repos/get-collaborator-permission-level',
  'repos/get-branch',
  'issues/get',
  'issues/list-for-repo',
  'issues/list-events',
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  'issues/get-comment',
  'issues/add-labels',
  'issues/remove-label',
  'reactions/create-for-issue-comment',
  'reactions/create-for-issue',
  'reactions/create-for-pull-request-review-comment',
  'pulls/get',
  'pulls/list',
  'pulls/create',
  'pulls/update',
  'pulls/list-review-comments',
  'pulls/list-comments-for-review',
  'pulls/create-reply-for-review-comment',
  'pulls/get-review',
  'git/get-ref',
];

/**
 * Webhook payload schemas (keys of the description's `x-webhooks`), written to a second file,
 * test/sim/openapi/webhooks.subset.json, to validate test/sim/payloads.mjs. They are the same
 * schemas @octokit/openapi-webhooks publishes, minus a package.
 */
export const WEBHOOKS = [
  'issues-labeled',
  'pull-request-labeled',
  'issue-comment-created',
  'pull-request-review-comment-created',
  'pull-request-review-submitted',
  'workflow-dispatch',
];

/** The package the description comes from; recorded in the subset's info. */
export const SOURCE = '@octokit/openapi@23.0.2 generated/api.github.com.json';

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @param {string} pointer a local JSON pointer such as "#/components/schemas/simple-user" */
function decodePointer(pointer) {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Builds the subset document.
 * @param {any} spec the full OpenAPI 3.0 document
 * @param {string[]} operationIds
 * @returns {any}
 */
export function subsetSpec(spec, operationIds = OPERATIONS) {
  const wanted = new Set(operationIds);
  /** @type {Record<string, any>} */
  const paths = {};
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op || !wanted.has(op.operationId)) continue;
      paths[p] ??= {};
      // Path-level parameters apply to every operation under the path.
      if (item.parameters && !paths[p].parameters) paths[p].parameters = item.parameters;
      paths[p][method] = op;
      wanted.delete(op.operationId);
    }
  }
  if (wanted.size) throw new Error(`operationIds not found in the description: ${[...wanted].join(', ')}`);

  return {
    openapi: spec.openapi,
    info: subsetInfo(spec, { operations: [...operationIds].sort() }),
    servers: spec.servers,
    paths,
    components: collectComponents(spec, paths),
  };
}

/**
 * Builds the webhook subset: `x-webhooks` entries and their components; no paths.
 * @param {any} spec
 * @param {string[]} names keys of spec['x-webhooks']
 */
export function subsetWebhooks(spec, names = WEBHOOKS) {
  /** @type {Record<string, any>} */
  const webhooks = {};
  for (const name of names) {
    const hook = spec['x-webhooks']?.[name];
    if (!hook) throw new Error(`x-webhooks.${name} not found in the description`);
    webhooks[name] = hook;
  }
  return {
    openapi: spec.openapi,
    info: subsetInfo(spec, { webhooks: [...names].sort() }),
    paths: {},
    'x-webhooks': webhooks,
    components: collectComponents(spec, webhooks),
  };
}

/** @param {any} spec @param {Record<string, string[]>} what */
function subsetInfo(spec, what) {
  return {
    ...spec.info,
    'x-subset': { source: `${SOURCE} (info.version ${spec.info?.version})`, generator: 'scripts/gen-openapi-subset.mjs', ...what },
  };
}

/**
 * Every "#/components/<kind>/<name>" referenced from `root`, transitively, sorted by kind
 * and name so regenerations are diff-friendly.
 * @param {any} spec @param {any} root
 * @returns {Record<string, Record<string, any>>}
 */
function collectComponents(spec, root) {
  /** @type {Record<string, Record<string, any>>} */
  const components = {};
  /** @type {string[]} */
  const queue = [];
  /** @param {any} node */
  const scan = (node) => {
    if (Array.isArray(node)) return node.forEach(scan);
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') queue.push(v);
      else scan(v);
    }
  };
  scan(root);
  while (queue.length) {
    const ref = /** @type {string} */ (queue.pop());
    if (!ref.startsWith('#/components/')) throw new Error(`unsupported $ref ${ref}`);
    const [, kind, name, ...rest] = decodePointer(ref);
    if (rest.length) throw new Error(`unsupported deep $ref ${ref}`);
    if (components[kind]?.[name] !== undefined) continue;
    const target = spec.components?.[kind]?.[name];
    if (target === undefined) throw new Error(`dangling $ref ${ref}`);
    (components[kind] ??= {})[name] = target;
    scan(target);
  }
  /** @type {Record<string, Record<string, any>>} */
  const sorted = {};
  for (const kind of Object.keys(components).sort()) {
    sorted[kind] = Object.fromEntries(Object.keys(components[kind]).sort().map((n) => [n, components[kind][n]]));
  }
  return sorted;
}

/** Finds the full description: argv, then env, then a node_modules resolution. */
function locateSource(/** @type {string|undefined} */ arg) {
  if (arg) return arg;
  if (process.env.OCTOKIT_OPENAPI_JSON) return process.env.OCTOKIT_OPENAPI_JSON;
  const bases = [process.env.OCTOKIT_OPENAPI_PREFIX, process.cwd(), '/tmp/oa'].filter(Boolean);
  for (const base of bases) {
    try {
      const require = createRequire(path.join(path.resolve(/** @type {string} */ (base)), 'noop.js'));
      return require.resolve('@octokit/openapi/generated/api.github.com.json');
    } catch {
      // try the next base
    }
  }
  throw new Error(
    'Cannot find @octokit/openapi. Run `npm i --prefix /tmp/oa @octokit/openapi@23.0.2` and pass ' +
      '/tmp/oa/node_modules/@octokit/openapi/generated/api.github.com.json (or set OCTOKIT_OPENAPI_JSON).',
  );
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = path.resolve(here, '../test/sim/openapi/api.github.com.subset.json');
export const DEFAULT_WEBHOOKS_OUT = path.resolve(here, '../test/sim/openapi/webhooks.subset.json');

/** @param {string} file @param {any} doc */
function write(file, doc) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(doc, null, 1) + '\n');
  const counts = Object.entries(doc.components).map(([k, v]) => `${Object.keys(v).length} ${k}`);
  console.log(`${path.relative(process.cwd(), file)}: ${counts.join(', ')}; ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = locateSource(process.argv[2]);
  const out = process.argv[3] ? path.resolve(process.argv[3]) : DEFAULT_OUT;
  const webhooksOut = process.argv[4] ? path.resolve(process.argv[4]) : DEFAULT_WEBHOOKS_OUT;
  const spec = JSON.parse(fs.readFileSync(src, 'utf8'));
  if (!SOURCE.includes(`@${spec.info?.version} `)) {
    console.warn(`warning: ${src} is version ${spec.info?.version}; SOURCE says ${SOURCE}. Update SOURCE if this is intended.`);
  }
  console.log(`${OPERATIONS.length} operations, ${WEBHOOKS.length} webhooks from ${src}`);
  write(out, subsetSpec(spec));
  write(webhooksOut, subsetWebhooks(spec));
}

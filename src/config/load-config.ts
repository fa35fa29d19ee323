import { parseDocument } from 'yaml';
import { BUILT_IN_CLASSES, type ClassSpec } from './classes.js';
import { defaultConfig, type ConfiguredTask, type TaskcapConfig } from './config.js';
import { BUILT_IN_MODELS, EFFORTS, MODEL_ID, type Effort, type Prices } from './models.js';
import { CLASS_OUTPUTS, isOneOf } from '../vocabulary.js';
import { NoticeError } from '../util/errors.js';
import { budgetValue, isObj, show, unknownKeys, usd } from './config-values.js';
import { FANOUT_KEYS, validateFanout } from '../fanout/validate-fanout.js';

/**
 * The repo config (`.github/taskcap.yml`) merged over the built-in defaults, validated key by key. Every error
 * names the key, quotes the value and says the fix; a bad config stops the run before any model call or write.
 */
export function parseConfig(text: string, file: string): TaskcapConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ConfigError(file, [`is not valid YAML: ${e.message.split('\n')[0].replace(/:\s*$/, '')}${text.split(/\r?\n/)[(e.linePos?.[0]?.line ?? 0) - 1]?.trim() ? ` ('${text.split(/\r?\n/)[(e.linePos?.[0]?.line ?? 0) - 1].trim()}')` : ''}. Check the indentation and quoting around line ${(e.linePos?.[0]?.line ?? 0) || '?'}.`]);
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) return defaultConfig();
  const problems: string[] = [];
  const config = validate(raw, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

export class ConfigError extends NoticeError {
  constructor(file: string, problems: string[]) {
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    super(`The taskcap config '${file}' (read from the default branch) has ${count}:\n- ${problems.join('\n- ')}`, {
      cause: 'config',
      // The problems quote the file's values: they go to the run log, not to the issue.
      text: `taskcap's config \`${file.replace(/`/g, '')}\` on the default branch has ${count}, so nothing was started; taskcap serves no request until a maintainer fixes it. The run log lists each problem with its fix.`,
    });
  }
}

const TOP_KEYS = ['model', 'classes', 'labels', 'tasks', 'pricing', 'max-budget', 'max-cost-usd', 'max-monthly-cost-usd', 'models', 'instructions'];
/** Instruction files a config may name at most. */
const MAX_INSTRUCTION_FILES = 20;
const CLASS_KEYS = ['budget', 'effort', 'label', 'model', 'max-cost-usd', 'output'];
const TASK_KEYS = ['class', 'schedule', 'prompt', ...FANOUT_KEYS];
const PRICE_KEYS: Record<string, keyof Prices> = {
  input: 'input',
  'cache-write-5m': 'cacheWrite5m',
  'cache-write-1h': 'cacheWrite1h',
  'cache-read': 'cacheRead',
  output: 'output',
};


function modelId(key: string, v: unknown, problems: string[]): string | undefined {
  if (typeof v === 'string' && MODEL_ID.test(v)) return v;
  problems.push(`${key}: ${show(v)} is not a model id. Example: ${key.split('.').pop()}: claude-opus-4-7`);
  return undefined;
}

/** A list of repository paths (relative, inside the repository), or an empty list to read none. */
function instructionPaths(v: unknown, problems: string[]): string[] | undefined {
  const example = 'instructions: [AGENTS.md, docs/agents.md] (or [] to read none)';
  if (!Array.isArray(v)) {
    problems.push(`instructions: ${show(v)} must be a list of files in the repository, e.g. ${example}.`);
    return undefined;
  }
  if (v.length > MAX_INSTRUCTION_FILES) {
    problems.push(`instructions: ${v.length} files is more than ${MAX_INSTRUCTION_FILES}; name the ${MAX_INSTRUCTION_FILES} that matter most.`);
    return undefined;
  }
  const paths: string[] = [];
  for (const p of v) {
    const ok = typeof p === 'string' && p.length <= 200 && p.trim() === p && p !== '' && !p.startsWith('/') && !p.endsWith('/') && !p.split('/').some((part) => part === '..' || part === '.' || part === '');
    if (!ok) problems.push(`instructions: ${show(p)} is not a file path inside the repository (relative, no '..'), e.g. ${example}.`);
    else if (!paths.includes(p)) paths.push(p);
  }
  return paths;
}

function validate(raw: unknown, problems: string[]): TaskcapConfig {
  const config = defaultConfig();
  if (!isObj(raw)) {
    problems.push(`the file must be a mapping of keys (${TOP_KEYS.join(', ')}), got ${show(raw)}.`);
    return config;
  }
  unknownKeys('', raw, TOP_KEYS, problems);
  if (raw.model !== undefined) config.model = modelId('model', raw.model, problems);
  if (raw['max-budget'] !== undefined) config.maxBudget = budgetValue('max-budget', raw['max-budget'], problems);
  if (raw['max-cost-usd'] !== undefined) config.maxCostUsd = usd('max-cost-usd', raw['max-cost-usd'], problems);
  if (raw['max-monthly-cost-usd'] !== undefined) config.maxMonthlyCostUsd = usd('max-monthly-cost-usd', raw['max-monthly-cost-usd'], problems);
  if (raw.instructions !== undefined) config.instructions = instructionPaths(raw.instructions, problems);

  if (raw.classes !== undefined) {
    if (!isObj(raw.classes)) problems.push(`classes: must be a mapping of class name to settings, got ${show(raw.classes)}.`);
    else for (const [name, v] of Object.entries(raw.classes)) validateClass(name, v, config, problems);
  }
  if (raw.labels !== undefined) {
    if (!isObj(raw.labels)) problems.push(`labels: must map a label to a class, e.g. labels: { "agent:docs": refactor }; got ${show(raw.labels)}.`);
    else {
      for (const [label, cls] of Object.entries(raw.labels)) {
        if (typeof cls !== 'string' || !config.classes[cls]) {
          problems.push(`labels.${label}: ${show(cls)} is not a class. Known classes: ${Object.keys(config.classes).join(', ')}.`);
        } else config.labels[label] = cls;
      }
    }
  }
  if (raw.tasks !== undefined) {
    if (!isObj(raw.tasks)) problems.push(`tasks: must map a task name to { class, prompt, schedule }, got ${show(raw.tasks)}.`);
    else for (const [name, v] of Object.entries(raw.tasks)) validateTask(name, v, config, problems);
  }
  if (raw.pricing !== undefined) {
    if (!isObj(raw.pricing)) problems.push(`pricing: must map a model id to its prices, got ${show(raw.pricing)}.`);
    else for (const [model, v] of Object.entries(raw.pricing)) validatePrices(model, v, config, problems);
  }
  if (raw.models !== undefined) {
    if (!isObj(raw.models)) problems.push(`models: must map a provider's model id or deployment name to the Claude model it serves, e.g. models: { my-opus: claude-opus-4-7 }; got ${show(raw.models)}.`);
    else for (const [name, v] of Object.entries(raw.models)) validateModelMapping(name, v, config, problems);
  }
  if (config.maxBudget !== undefined) {
    for (const [name, spec] of Object.entries(config.classes)) {
      if (spec.budget > config.maxBudget) problems.push(`classes.${name}.budget: ${spec.budget} is above max-budget (${config.maxBudget}). Lower the class budget or raise max-budget.`);
    }
  }
  return config;
}

function validateClass(name: string, v: unknown, config: TaskcapConfig, problems: string[]) {
  const key = `classes.${name}`;
  if (!/^[a-z][a-z0-9-]*$/.test(name)) problems.push(`${key}: class names are lowercase words (a-z, 0-9, -), got ${show(name)}.`);
  if (!isObj(v)) {
    problems.push(`${key}: must be a mapping such as { budget: 60000, effort: high }, got ${show(v)}.`);
    return;
  }
  unknownKeys(`${key}.`, v, CLASS_KEYS, problems);
  const base: Partial<ClassSpec> = config.classes[name] ?? {};
  const spec: Partial<ClassSpec> = { ...base };
  if (v.budget !== undefined) spec.budget = budgetValue(`${key}.budget`, v.budget, problems);
  if (v.effort !== undefined) {
    if (typeof v.effort === 'string' && (EFFORTS as readonly string[]).includes(v.effort)) spec.effort = v.effort as Effort;
    else problems.push(`${key}.effort: ${show(v.effort)} is not an effort level. Use one of: ${EFFORTS.join(', ')}.`);
  }
  if (v.model !== undefined) spec.model = modelId(`${key}.model`, v.model, problems);
  if (v['max-cost-usd'] !== undefined) spec.maxCostUsd = usd(`${key}.max-cost-usd`, v['max-cost-usd'], problems);
  if (v.output !== undefined) {
    if (isOneOf(CLASS_OUTPUTS, v.output)) spec.output = v.output;
    else problems.push(`${key}.output: ${show(v.output)} must be ${CLASS_OUTPUTS.join(' or ')}.`);
  }
  if (v.label !== undefined) {
    if (typeof v.label !== 'string' || v.label.trim() === '') problems.push(`${key}.label: ${show(v.label)} must be a label name such as agent:${name}.`);
    else {
      if (base.label && config.labels[base.label] === name) delete config.labels[base.label];
      spec.label = v.label;
      config.labels[v.label] = name;
    }
  }
  if (!Object.hasOwn(BUILT_IN_CLASSES, name) && (spec.budget === undefined || spec.effort === undefined)) {
    problems.push(`${key}: a new class needs both budget and effort, e.g. ${name}: { budget: 40000, effort: medium }.`);
    return;
  }
  if (spec.budget !== undefined && spec.effort !== undefined) config.classes[name] = { output: 'patch', ...spec } as ClassSpec;
}

function validateTask(name: string, v: unknown, config: TaskcapConfig, problems: string[]) {
  const key = `tasks.${name}`;
  if (!/^(?!.*\.\.)(?!.*\.lock$)[a-z0-9][a-z0-9._-]*(?<!\.)$/i.test(name)) problems.push(`${key}: task names are letters, digits, '.', '_' and '-', got ${show(name)} (it becomes the branch taskcap/task-<name>).`);
  if (!isObj(v)) {
    problems.push(`${key}: must be a mapping { class, prompt, schedule }, got ${show(v)}.`);
    return;
  }
  unknownKeys(`${key}.`, v, TASK_KEYS, problems);
  // A sweep works each issue as a labeled issue would: its class comes from the issue (the task's class is the
  // default), and the issue itself says what to do.
  const sweep = v.sweep !== undefined;
  const className = v.class === undefined && sweep ? 'fix' : v.class;
  if (typeof className !== 'string' || !config.classes[className]) {
    problems.push(`${key}.class: ${show(v.class)} is not a class. Known classes: ${Object.keys(config.classes).join(', ')}.`);
    return;
  }
  if (sweep && v.prompt !== undefined) {
    problems.push(`${key}.prompt: a sweep works each issue as written, so it takes no prompt. Remove it, or put the instructions in the issues.`);
    return;
  }
  if (!sweep && (typeof v.prompt !== 'string' || v.prompt.trim() === '')) {
    problems.push(`${key}.prompt: the task needs a prompt (what to do), got ${show(v.prompt)}.`);
    return;
  }
  if (v.schedule !== undefined && (typeof v.schedule !== 'string' || !isCron(v.schedule))) {
    problems.push(`${key}.schedule: ${show(v.schedule)} is not a cron expression with 5 fields; it must equal the workflow's schedule, e.g. "0 3 * * 1".`);
    return;
  }
  const before = problems.length;
  const fanout = validateFanout(key, v, config.classes[className].budget, config, problems);
  if (problems.length > before) return;
  const task: ConfiguredTask = { class: className, prompt: typeof v.prompt === 'string' ? v.prompt : '' };
  if (typeof v.schedule === 'string') task.schedule = v.schedule.trim();
  if (fanout) task.fanout = fanout;
  config.tasks[name] = task;
}

function validatePrices(model: string, v: unknown, config: TaskcapConfig, problems: string[]) {
  const key = `pricing.${model}`;
  if (!isObj(v)) {
    problems.push(`${key}: must be { input, cache-write-5m, cache-write-1h, cache-read, output } in USD per million tokens, got ${show(v)}.`);
    return;
  }
  unknownKeys(`${key}.`, v, Object.keys(PRICE_KEYS), problems);
  const prices: Partial<Prices> = {};
  for (const [k, field] of Object.entries(PRICE_KEYS)) {
    const x = v[k];
    if (x === undefined) problems.push(`${key}.${k}: is missing; give the price in USD per million tokens (a number ≥ 0).`);
    else if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) problems.push(`${key}.${k}: ${show(x)} must be a price in USD per million tokens (a number ≥ 0).`);
    else prices[field] = x;
  }
  if (Object.keys(prices).length === 5) config.pricing[model] = prices as Prices;
}

/** `models: { <provider id or deployment>: <Claude model> }`: the Claude model must have prices (built in or `pricing:`). */
function validateModelMapping(name: string, v: unknown, config: TaskcapConfig, problems: string[]) {
  const key = `models.${name}`;
  if (!MODEL_ID.test(name)) {
    problems.push(`${key}: ${show(name)} is not a model id or deployment name (letters, digits, . @ : _ / -).`);
    return;
  }
  if (typeof v !== 'string' || !(BUILT_IN_MODELS.has(v) || config.pricing[v] !== undefined)) {
    const known = [...BUILT_IN_MODELS.keys()].filter((id) => !/\d{8}$/.test(id));
    problems.push(`${key}: ${show(v)} is not a Claude model taskcap has prices for. Use one of ${known.join(', ')}, or add its prices under pricing:.`);
    return;
  }
  config.models[name] = v;
}

/** Bounds of the five cron fields (minute, hour, day of month, month, day of week). */
const CRON_FIELDS: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** A five-field cron expression as GitHub accepts it (numbers, ranges, lists, steps, `*`; names of months/days). */
export function isCron(text: string): boolean {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  return fields.every((field, i) =>
    field.split(',').every((part) => {
      const m = /^(\*|([0-9]+|[a-z]{3})(?:-([0-9]+|[a-z]{3}))?)(?:\/([0-9]+))?$/i.exec(part);
      if (!m) return false;
      const [lo, hi] = CRON_FIELDS[i];
      const ok = (v: string | undefined) => v === undefined || /^[a-z]{3}$/i.test(v) ? (v === undefined || i >= 3) : Number(v) >= lo && Number(v) <= hi;
      return ok(m[2]) && ok(m[3]) && (m[4] === undefined || Number(m[4]) > 0);
    }),
  );
}

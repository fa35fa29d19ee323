export const id = 936;
export const ids = [936];
export const modules = {

/***/ 38936:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ConfigError: () => (/* binding */ ConfigError),
  parseConfig: () => (/* binding */ parseConfig)
});

// UNUSED EXPORTS: isCron

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(38815);
// EXTERNAL MODULE: ./src/config/classes.ts
var classes = __webpack_require__(10522);
// EXTERNAL MODULE: ./src/config/config.ts
var config_config = __webpack_require__(81122);
// EXTERNAL MODULE: ./src/config/models.ts
var models = __webpack_require__(12350);
// EXTERNAL MODULE: ./src/vocabulary.ts
var vocabulary = __webpack_require__(47819);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(70017);
// EXTERNAL MODULE: ./src/util/did-you-mean.ts
var did_you_mean = __webpack_require__(16345);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(32693);
;// CONCATENATED MODULE: ./src/config/config-values.ts



const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v) => `'${typeof v === 'string' ? v : JSON.stringify(v)}'`;
function unknownKeys(where, o, allowed, problems) {
    for (const k of Object.keys(o)) {
        if (allowed.includes(k))
            continue;
        const near = (0,did_you_mean/* closest */.kp)(k, allowed);
        problems.push(`${where}${k}: unknown key ${show(k)}${near ? ` (did you mean '${near}'?)` : ''}. Allowed keys: ${allowed.join(', ')}.`);
    }
}
function budgetValue(key, v, problems) {
    const n = typeof v === 'string' ? (0,classes/* parseBudget */.Nm)(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
        const millions = typeof v === 'string' && /^\s*[\d.]+\s*m\s*$/i.test(v) ? ' ("m" is not a unit: write millions in thousands, like 1500k)' : '';
        problems.push(`${key}: ${show(v)} is not a whole number of tokens${millions}. Example: ${key.split('.').pop()}: 60000 (or "60k").`);
        return undefined;
    }
    if (n < classes/* MIN_BUDGET */.nT) {
        problems.push(`${key}: ${show(v)} is below ${(0,format/* formatInt */.Dw)(classes/* MIN_BUDGET */.nT)} tokens, the smallest task budget the API accepts. Use ${classes/* MIN_BUDGET */.nT} or more.`);
        return undefined;
    }
    return n;
}
function usd(key, v, problems) {
    const n = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n > 0)
        return n;
    problems.push(`${key}: ${show(v)} must be a positive number of US dollars, e.g. 2.50.`);
    return undefined;
}

// EXTERNAL MODULE: ./src/fanout/fanout-spec.ts
var fanout_spec = __webpack_require__(36534);
;// CONCATENATED MODULE: ./src/fanout/validate-fanout.ts



/** The keys that make a configured task a fan-out task. */
const FANOUT_KEYS = ['units', 'shard', 'pool', 'sweep'];
const UNITS_KEYS = ['files', 'containing', 'exclude', 'command', 'discover', 'discover-budget', 'max'];
const SHARD_KEYS = ['size', 'max-shards', 'budget', 'max-attempts'];
const POOL_KEYS = ['tokens', 'max-cost-usd'];
const SWEEP_KEYS = ['label', 'max-issues', 'tracking-issue'];
/** A whole number in [min, max], or a problem that says so. */
function wholeNumber(key, v, min, max, problems) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)
        return v;
    problems.push(`${key}: ${show(v)} must be a whole number from ${min} to ${(0,format/* formatInt */.Dw)(max)}.`);
    return undefined;
}
function globList(key, v, problems) {
    const list = typeof v === 'string' ? [v] : v;
    if (Array.isArray(list) && list.length > 0 && list.every((g) => typeof g === 'string' && g.trim() !== '' && !g.startsWith('/') && !g.split('/').includes('..'))) {
        return list.map((g) => g.trim());
    }
    problems.push(`${key}: ${show(v)} must be a glob inside the repository, or a list of them, e.g. "src/**/*.js".`);
    return undefined;
}
/**
 * The fan-out part of `tasks.<name>`: `units` (or `sweep`), `shard` and `pool`. Returns undefined for a task with
 * none of those keys (an ordinary scheduled task). `classBudget` is the task class's budget, the shard budget's default.
 */
function validateFanout(key, v, classBudget, config, problems) {
    if (!FANOUT_KEYS.some((k) => v[k] !== undefined))
        return undefined;
    const before = problems.length;
    if (v.units !== undefined && v.sweep !== undefined)
        problems.push(`${key}: a task has either units (a migration) or sweep (issues), not both. Split it into two tasks.`);
    if (v.units === undefined && v.sweep === undefined) {
        problems.push(`${key}: shard and pool need a work list: add units, e.g. units: { files: "src/**/*.js", containing: "require(" }, or sweep: { label: "agent:queue" }.`);
    }
    const units = v.units !== undefined ? unitSource(`${key}.units`, v.units, problems) : undefined;
    const sweep = v.sweep !== undefined ? sweepSpec(`${key}.sweep`, v.sweep, problems) : undefined;
    const shard = shardSpec(`${key}.shard`, v.shard, classBudget, config, problems);
    const pool = poolSpec(`${key}.pool`, v.pool, shard, problems);
    const maxUnits = isObj(v.units) && v.units.max !== undefined ? wholeNumber(`${key}.units.max`, v.units.max, 1, 100_000, problems) : fanout_spec/* DEFAULT_MAX_UNITS */.rS;
    if (problems.length > before || !shard || !pool || maxUnits === undefined || (!units && !sweep))
        return undefined;
    return { ...(units ? { units } : {}), ...(sweep ? { sweep } : {}), shard, pool, maxUnits };
}
function unitSource(key, v, problems) {
    if (!isObj(v)) {
        problems.push(`${key}: must be a mapping such as { files: "src/**/*.js", containing: "require(" } or { command: "./list-units.sh" }, got ${show(v)}.`);
        return undefined;
    }
    unknownKeys(`${key}.`, v, UNITS_KEYS, problems);
    const given = ['files', 'command', 'discover'].filter((k) => v[k] !== undefined && v[k] !== false);
    if (given.length !== 1) {
        problems.push(`${key}: give exactly one of files (globs), command (one unit per output line) or discover: true (a capped explore pass), got ${given.length ? given.join(' and ') : 'none'}.`);
        return undefined;
    }
    if (v.containing !== undefined && given[0] !== 'files')
        problems.push(`${key}.containing: only works with files (it keeps the files that contain the text).`);
    if (v.exclude !== undefined && given[0] !== 'files')
        problems.push(`${key}.exclude: only works with files.`);
    if (v['discover-budget'] !== undefined && given[0] !== 'discover')
        problems.push(`${key}.discover-budget: only works with discover: true.`);
    switch (given[0]) {
        case 'files': {
            const files = globList(`${key}.files`, v.files, problems);
            const exclude = v.exclude === undefined ? [] : globList(`${key}.exclude`, v.exclude, problems);
            let containing;
            if (v.containing !== undefined) {
                if (typeof v.containing === 'string' && v.containing !== '' && !/[\n\r\0]/.test(v.containing))
                    containing = v.containing;
                else
                    problems.push(`${key}.containing: ${show(v.containing)} must be a piece of text on one line, e.g. "require(".`);
            }
            return files && exclude ? { kind: 'files', files, exclude, ...(containing !== undefined ? { containing } : {}) } : undefined;
        }
        case 'command':
            if (typeof v.command === 'string' && v.command.trim() !== '')
                return { kind: 'command', command: v.command };
            problems.push(`${key}.command: ${show(v.command)} must be a shell command that prints one unit per line, e.g. "git ls-files 'src/*.js'".`);
            return undefined;
        case 'discover': {
            if (v.discover !== true) {
                problems.push(`${key}.discover: ${show(v.discover)} must be true.`);
                return undefined;
            }
            const budget = v['discover-budget'] === undefined ? fanout_spec/* DEFAULT_DISCOVER_BUDGET */.Mh : budgetValue(`${key}.discover-budget`, v['discover-budget'], problems);
            return budget === undefined ? undefined : { kind: 'discover', budget };
        }
    }
}
function shardSpec(key, v, classBudget, config, problems) {
    if (v !== undefined && !isObj(v)) {
        problems.push(`${key}: must be a mapping such as { size: 10, max-shards: 8, budget: 60k }, got ${show(v)}.`);
        return undefined;
    }
    const o = v ?? {};
    unknownKeys(`${key}.`, o, SHARD_KEYS, problems);
    const size = o.size === undefined ? fanout_spec/* DEFAULT_SHARD_SIZE */.lV : wholeNumber(`${key}.size`, o.size, 1, 1000, problems);
    const maxShards = o['max-shards'] === undefined ? fanout_spec/* DEFAULT_MAX_SHARDS */.j5 : wholeNumber(`${key}.max-shards`, o['max-shards'], 1, fanout_spec/* MAX_MATRIX_JOBS */.Ab, problems);
    const budget = o.budget === undefined ? classBudget : budgetValue(`${key}.budget`, o.budget, problems);
    const maxAttempts = o['max-attempts'] === undefined ? fanout_spec/* DEFAULT_MAX_ATTEMPTS */.Gz : wholeNumber(`${key}.max-attempts`, o['max-attempts'], 1, 20, problems);
    if (budget !== undefined && config.maxBudget !== undefined && budget > config.maxBudget) {
        problems.push(`${key}.budget: ${(0,format/* formatInt */.Dw)(budget)} is above max-budget (${(0,format/* formatInt */.Dw)(config.maxBudget)}). Lower the shard budget or raise max-budget.`);
        return undefined;
    }
    if (size === undefined || maxShards === undefined || budget === undefined || maxAttempts === undefined)
        return undefined;
    return { size, maxShards, budget, maxAttempts };
}
function poolSpec(key, v, shard, problems) {
    if (v !== undefined && !isObj(v)) {
        problems.push(`${key}: must be a mapping such as { tokens: 600k, max-cost-usd: 20 }, got ${show(v)}.`);
        return undefined;
    }
    const o = v ?? {};
    unknownKeys(`${key}.`, o, POOL_KEYS, problems);
    // Without a pool, a run may spend every shard's full budget: the pool is then what the shard settings imply.
    const tokens = o.tokens === undefined ? (shard ? shard.budget * shard.maxShards : undefined) : budgetValue(`${key}.tokens`, o.tokens, problems);
    const maxCostUsd = o['max-cost-usd'] === undefined ? undefined : usd(`${key}.max-cost-usd`, o['max-cost-usd'], problems);
    if (tokens === undefined || (o['max-cost-usd'] !== undefined && maxCostUsd === undefined))
        return undefined;
    return { tokens, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) };
}
function sweepSpec(key, v, problems) {
    if (!isObj(v)) {
        problems.push(`${key}: must be a mapping such as { label: "agent:queue", max-issues: 6 }, got ${show(v)}.`);
        return undefined;
    }
    unknownKeys(`${key}.`, v, SWEEP_KEYS, problems);
    if (typeof v.label !== 'string' || v.label.trim() === '' || v.label.includes(',')) {
        problems.push(`${key}.label: ${show(v.label)} must be one label name (no commas), e.g. "agent:queue".`);
        return undefined;
    }
    const maxIssues = v['max-issues'] === undefined ? fanout_spec/* DEFAULT_MAX_ISSUES */.Uf : wholeNumber(`${key}.max-issues`, v['max-issues'], 1, fanout_spec/* MAX_MATRIX_JOBS */.Ab, problems);
    const trackingIssue = v['tracking-issue'] === undefined ? undefined : wholeNumber(`${key}.tracking-issue`, v['tracking-issue'], 1, 1e9, problems);
    if (maxIssues === undefined || (v['tracking-issue'] !== undefined && trackingIssue === undefined))
        return undefined;
    return { label: v.label.trim(), maxIssues, ...(trackingIssue !== undefined ? { trackingIssue } : {}) };
}

;// CONCATENATED MODULE: ./src/config/load-config.ts








/**
 * The repo config (`.github/taskcap.yml`) merged over the built-in defaults, validated key by key. Every error
 * names the key, quotes the value and says the fix; a bad config stops the run before any model call or write.
 */
function parseConfig(text, file) {
    const doc = (0,dist/* parseDocument */.Tp)(text, { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new ConfigError(file, [`is not valid YAML: ${e.message.split('\n')[0].replace(/:\s*$/, '')}${text.split(/\r?\n/)[(e.linePos?.[0]?.line ?? 0) - 1]?.trim() ? ` ('${text.split(/\r?\n/)[(e.linePos?.[0]?.line ?? 0) - 1].trim()}')` : ''}. Check the indentation and quoting around line ${(e.linePos?.[0]?.line ?? 0) || '?'}.`]);
    }
    const raw = doc.toJS();
    if (raw === null || raw === undefined)
        return (0,config_config/* defaultConfig */.s)();
    const problems = [];
    const config = validate(raw, problems);
    if (problems.length > 0)
        throw new ConfigError(file, problems);
    return config;
}
class ConfigError extends errors/* NoticeError */.lo {
    constructor(file, problems) {
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
const PRICE_KEYS = {
    input: 'input',
    'cache-write-5m': 'cacheWrite5m',
    'cache-write-1h': 'cacheWrite1h',
    'cache-read': 'cacheRead',
    output: 'output',
};
function modelId(key, v, problems) {
    if (typeof v === 'string' && models/* MODEL_ID */.SN.test(v))
        return v;
    problems.push(`${key}: ${show(v)} is not a model id. Example: ${key.split('.').pop()}: claude-opus-4-7`);
    return undefined;
}
/** A list of repository paths (relative, inside the repository), or an empty list to read none. */
function instructionPaths(v, problems) {
    const example = 'instructions: [AGENTS.md, docs/agents.md] (or [] to read none)';
    if (!Array.isArray(v)) {
        problems.push(`instructions: ${show(v)} must be a list of files in the repository, e.g. ${example}.`);
        return undefined;
    }
    if (v.length > MAX_INSTRUCTION_FILES) {
        problems.push(`instructions: ${v.length} files is more than ${MAX_INSTRUCTION_FILES}; name the ${MAX_INSTRUCTION_FILES} that matter most.`);
        return undefined;
    }
    const paths = [];
    for (const p of v) {
        const ok = typeof p === 'string' && p.length <= 200 && p.trim() === p && p !== '' && !p.startsWith('/') && !p.endsWith('/') && !p.split('/').some((part) => part === '..' || part === '.' || part === '');
        if (!ok)
            problems.push(`instructions: ${show(p)} is not a file path inside the repository (relative, no '..'), e.g. ${example}.`);
        else if (!paths.includes(p))
            paths.push(p);
    }
    return paths;
}
function validate(raw, problems) {
    const config = (0,config_config/* defaultConfig */.s)();
    if (!isObj(raw)) {
        problems.push(`the file must be a mapping of keys (${TOP_KEYS.join(', ')}), got ${show(raw)}.`);
        return config;
    }
    unknownKeys('', raw, TOP_KEYS, problems);
    if (raw.model !== undefined)
        config.model = modelId('model', raw.model, problems);
    if (raw['max-budget'] !== undefined)
        config.maxBudget = budgetValue('max-budget', raw['max-budget'], problems);
    if (raw['max-cost-usd'] !== undefined)
        config.maxCostUsd = usd('max-cost-usd', raw['max-cost-usd'], problems);
    if (raw['max-monthly-cost-usd'] !== undefined)
        config.maxMonthlyCostUsd = usd('max-monthly-cost-usd', raw['max-monthly-cost-usd'], problems);
    if (raw.instructions !== undefined)
        config.instructions = instructionPaths(raw.instructions, problems);
    if (raw.classes !== undefined) {
        if (!isObj(raw.classes))
            problems.push(`classes: must be a mapping of class name to settings, got ${show(raw.classes)}.`);
        else
            for (const [name, v] of Object.entries(raw.classes))
                validateClass(name, v, config, problems);
    }
    if (raw.labels !== undefined) {
        if (!isObj(raw.labels))
            problems.push(`labels: must map a label to a class, e.g. labels: { "agent:docs": refactor }; got ${show(raw.labels)}.`);
        else {
            for (const [label, cls] of Object.entries(raw.labels)) {
                if (typeof cls !== 'string' || !config.classes[cls]) {
                    problems.push(`labels.${label}: ${show(cls)} is not a class. Known classes: ${Object.keys(config.classes).join(', ')}.`);
                }
                else
                    config.labels[label] = cls;
            }
        }
    }
    if (raw.tasks !== undefined) {
        if (!isObj(raw.tasks))
            problems.push(`tasks: must map a task name to { class, prompt, schedule }, got ${show(raw.tasks)}.`);
        else
            for (const [name, v] of Object.entries(raw.tasks))
                validateTask(name, v, config, problems);
    }
    if (raw.pricing !== undefined) {
        if (!isObj(raw.pricing))
            problems.push(`pricing: must map a model id to its prices, got ${show(raw.pricing)}.`);
        else
            for (const [model, v] of Object.entries(raw.pricing))
                validatePrices(model, v, config, problems);
    }
    if (raw.models !== undefined) {
        if (!isObj(raw.models))
            problems.push(`models: must map a provider's model id or deployment name to the Claude model it serves, e.g. models: { my-opus: claude-opus-4-7 }; got ${show(raw.models)}.`);
        else
            for (const [name, v] of Object.entries(raw.models))
                validateModelMapping(name, v, config, problems);
    }
    if (config.maxBudget !== undefined) {
        for (const [name, spec] of Object.entries(config.classes)) {
            if (spec.budget > config.maxBudget)
                problems.push(`classes.${name}.budget: ${spec.budget} is above max-budget (${config.maxBudget}). Lower the class budget or raise max-budget.`);
        }
    }
    return config;
}
function validateClass(name, v, config, problems) {
    const key = `classes.${name}`;
    if (!/^[a-z][a-z0-9-]*$/.test(name))
        problems.push(`${key}: class names are lowercase words (a-z, 0-9, -), got ${show(name)}.`);
    if (!isObj(v)) {
        problems.push(`${key}: must be a mapping such as { budget: 60000, effort: high }, got ${show(v)}.`);
        return;
    }
    unknownKeys(`${key}.`, v, CLASS_KEYS, problems);
    const base = config.classes[name] ?? {};
    const spec = { ...base };
    if (v.budget !== undefined)
        spec.budget = budgetValue(`${key}.budget`, v.budget, problems);
    if (v.effort !== undefined) {
        if (typeof v.effort === 'string' && models/* EFFORTS */.ig.includes(v.effort))
            spec.effort = v.effort;
        else
            problems.push(`${key}.effort: ${show(v.effort)} is not an effort level. Use one of: ${models/* EFFORTS */.ig.join(', ')}.`);
    }
    if (v.model !== undefined)
        spec.model = modelId(`${key}.model`, v.model, problems);
    if (v['max-cost-usd'] !== undefined)
        spec.maxCostUsd = usd(`${key}.max-cost-usd`, v['max-cost-usd'], problems);
    if (v.output !== undefined) {
        if ((0,vocabulary/* isOneOf */.EK)(vocabulary/* CLASS_OUTPUTS */.EG, v.output))
            spec.output = v.output;
        else
            problems.push(`${key}.output: ${show(v.output)} must be ${vocabulary/* CLASS_OUTPUTS */.EG.join(' or ')}.`);
    }
    if (v.label !== undefined) {
        if (typeof v.label !== 'string' || v.label.trim() === '')
            problems.push(`${key}.label: ${show(v.label)} must be a label name such as agent:${name}.`);
        else {
            if (base.label && config.labels[base.label] === name)
                delete config.labels[base.label];
            spec.label = v.label;
            config.labels[v.label] = name;
        }
    }
    if (!Object.hasOwn(classes/* BUILT_IN_CLASSES */.sL, name) && (spec.budget === undefined || spec.effort === undefined)) {
        problems.push(`${key}: a new class needs both budget and effort, e.g. ${name}: { budget: 40000, effort: medium }.`);
        return;
    }
    if (spec.budget !== undefined && spec.effort !== undefined)
        config.classes[name] = { output: 'patch', ...spec };
}
function validateTask(name, v, config, problems) {
    const key = `tasks.${name}`;
    if (!/^(?!.*\.\.)(?!.*\.lock$)[a-z0-9][a-z0-9._-]*(?<!\.)$/i.test(name))
        problems.push(`${key}: task names are letters, digits, '.', '_' and '-', got ${show(name)} (it becomes the branch taskcap/task-<name>).`);
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
    if (problems.length > before)
        return;
    const task = { class: className, prompt: typeof v.prompt === 'string' ? v.prompt : '' };
    if (typeof v.schedule === 'string')
        task.schedule = v.schedule.trim();
    if (fanout)
        task.fanout = fanout;
    config.tasks[name] = task;
}
function validatePrices(model, v, config, problems) {
    const key = `pricing.${model}`;
    if (!isObj(v)) {
        problems.push(`${key}: must be { input, cache-write-5m, cache-write-1h, cache-read, output } in USD per million tokens, got ${show(v)}.`);
        return;
    }
    unknownKeys(`${key}.`, v, Object.keys(PRICE_KEYS), problems);
    const prices = {};
    for (const [k, field] of Object.entries(PRICE_KEYS)) {
        const x = v[k];
        if (x === undefined)
            problems.push(`${key}.${k}: is missing; give the price in USD per million tokens (a number ≥ 0).`);
        else if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
            problems.push(`${key}.${k}: ${show(x)} must be a price in USD per million tokens (a number ≥ 0).`);
        else
            prices[field] = x;
    }
    if (Object.keys(prices).length === 5)
        config.pricing[model] = prices;
}
/** `models: { <provider id or deployment>: <Claude model> }`: the Claude model must have prices (built in or `pricing:`). */
function validateModelMapping(name, v, config, problems) {
    const key = `models.${name}`;
    if (!models/* MODEL_ID */.SN.test(name)) {
        problems.push(`${key}: ${show(name)} is not a model id or deployment name (letters, digits, . @ : _ / -).`);
        return;
    }
    if (typeof v !== 'string' || !(models/* BUILT_IN_MODELS */.a$.has(v) || config.pricing[v] !== undefined)) {
        const known = [...models/* BUILT_IN_MODELS */.a$.keys()].filter((id) => !/\d{8}$/.test(id));
        problems.push(`${key}: ${show(v)} is not a Claude model taskcap has prices for. Use one of ${known.join(', ')}, or add its prices under pricing:.`);
        return;
    }
    config.models[name] = v;
}
/** Bounds of the five cron fields (minute, hour, day of month, month, day of week). */
const CRON_FIELDS = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
];
/** A five-field cron expression as GitHub accepts it (numbers, ranges, lists, steps, `*`; names of months/days). */
function isCron(text) {
    const fields = text.trim().split(/\s+/);
    if (fields.length !== 5)
        return false;
    return fields.every((field, i) => field.split(',').every((part) => {
        const m = /^(\*|([0-9]+|[a-z]{3})(?:-([0-9]+|[a-z]{3}))?)(?:\/([0-9]+))?$/i.exec(part);
        if (!m)
            return false;
        const [lo, hi] = CRON_FIELDS[i];
        const ok = (v) => v === undefined || /^[a-z]{3}$/i.test(v) ? (v === undefined || i >= 3) : Number(v) >= lo && Number(v) <= hi;
        return ok(m[2]) && ok(m[3]) && (m[4] === undefined || Number(m[4]) > 0);
    }));
}


/***/ }),

/***/ 36534:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ab: () => (/* binding */ MAX_MATRIX_JOBS),
/* harmony export */   Gz: () => (/* binding */ DEFAULT_MAX_ATTEMPTS),
/* harmony export */   Mh: () => (/* binding */ DEFAULT_DISCOVER_BUDGET),
/* harmony export */   Uf: () => (/* binding */ DEFAULT_MAX_ISSUES),
/* harmony export */   bx: () => (/* binding */ MAX_UNIT_LENGTH),
/* harmony export */   j5: () => (/* binding */ DEFAULT_MAX_SHARDS),
/* harmony export */   lV: () => (/* binding */ DEFAULT_SHARD_SIZE),
/* harmony export */   rS: () => (/* binding */ DEFAULT_MAX_UNITS)
/* harmony export */ });
/**
 * A fan-out task of `.github/taskcap.yml`: how its units are found (a work list, or the open issues carrying a
 * sweep label), how they are grouped into shards, and the pool every run of the task spends from.
 */
/** GitHub runs at most 256 jobs per matrix. */
const MAX_MATRIX_JOBS = 256;
const DEFAULT_SHARD_SIZE = 10;
const DEFAULT_MAX_SHARDS = 8;
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_MAX_ISSUES = 10;
const DEFAULT_MAX_UNITS = 10_000;
/** The discovery pass's budget unless `units.discover-budget` says otherwise. */
const DEFAULT_DISCOVER_BUDGET = 30_000;
/** A unit is one file path, one output line, one issue: longer is not a unit. */
const MAX_UNIT_LENGTH = 300;


/***/ })

};

export const id = 459;
export const ids = [459];
export const modules = {

/***/ 98459:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runCollectMode: () => (/* reexport */ runCollectMode),
  runPlanMode: () => (/* reexport */ runPlanMode),
  runShardMode: () => (/* reexport */ runShardMode)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: ./src/action/runner-context.ts
var runner_context = __webpack_require__(6860);
// EXTERNAL MODULE: ./src/publish/identity.ts
var identity = __webpack_require__(23753);
// EXTERNAL MODULE: ./src/publish/ledger-store.ts
var ledger_store = __webpack_require__(36642);
// EXTERNAL MODULE: ./src/publish/pull-request.ts
var pull_request = __webpack_require__(14780);
// EXTERNAL MODULE: ./src/publish/receipt-comment.ts
var receipt_comment = __webpack_require__(13287);
// EXTERNAL MODULE: ./src/records/ledger.ts
var ledger = __webpack_require__(44009);
// EXTERNAL MODULE: ./src/records/run-outcome.ts
var run_outcome = __webpack_require__(16766);
// EXTERNAL MODULE: ./src/agent/providers/credential-vault.ts
var credential_vault = __webpack_require__(78338);
// EXTERNAL MODULE: ./src/publish/publish-repo.ts
var publish_repo = __webpack_require__(60985);
// EXTERNAL MODULE: ./src/run/run-tests.ts
var run_tests = __webpack_require__(928);
// EXTERNAL MODULE: ./src/run/workspace-guard.ts
var workspace_guard = __webpack_require__(67088);
// EXTERNAL MODULE: ./src/tools/workbench.ts + 3 modules
var workbench = __webpack_require__(43603);
// EXTERNAL MODULE: ./src/tools/protected-paths.ts
var protected_paths = __webpack_require__(82404);
// EXTERNAL MODULE: ./src/util/best-effort.ts
var best_effort = __webpack_require__(90039);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(70017);
// EXTERNAL MODULE: ./src/config/classes.ts
var classes = __webpack_require__(10522);
;// CONCATENATED MODULE: ./src/fanout/fanout-state.ts

/**
 * The state of one fan-out task, kept as `fanout/<task>.json` on the `taskcap/ledger` branch: every unit with its
 * status, and the plans still being worked on (with each shard's units, budget share and runs). Plans, shards and
 * collects all change it through one leased push, as pure functions of the state they read, so a lost race is
 * simply re-applied to the newer state.
 *
 * A unit is `pending` until a plan hands it to a shard (`in-progress`); the plan's collect then makes it `done`,
 * or `failed` with the reason (it is planned again), or `parked` once it failed `max-attempts` times.
 */
const STATE_VERSION = 1;
const UNIT_STATUSES = (/* unused pure expression or super */ null && (['pending', 'in-progress', 'done', 'failed', 'parked']));
/** Collected plans kept for the record after newer ones (their shard runs stay in `spent`). */
const KEPT_COLLECTED_PLANS = 5;
/** A plan no collect finished within this time gives its units back (its shards' work is still collected later). */
const PLAN_EXPIRES_MS = 24 * 3600_000;
function emptyState(task, kind) {
    return { v: STATE_VERSION, task, kind, nextPlan: 1, units: {}, plans: [], spent: { runs: 0, loopTokens: 0, costUsd: 0 } };
}
const roundUsd = (n) => Math.round(n * 1e8) / 1e8;
/**
 * Budget shares within the pool: shards take their wished budget in order while the pool lasts; the last may get
 * what is left if that is at least the smallest task budget (with proportionally fewer units). Σ budgets ≤ pool
 * tokens, and each shard's cost cap is its share of the pool's dollars in proportion to its budget (Σ ≤ pool
 * dollars). A shard's run is also held to the per-run cost cap of its class, whichever is lower.
 */
function shareThePool(wishes, pool) {
    const given = [];
    let left = pool.tokens;
    for (const wish of wishes) {
        const budget = Math.min(wish.budget, left);
        if (budget < classes/* MIN_BUDGET */.nT)
            break;
        given.push({ wish, budget });
        left -= budget;
    }
    const total = given.reduce((a, g) => a + g.budget, 0);
    return given.map(({ wish, budget }) => {
        // Floor to a millionth of a dollar so the shares never add up to more than the pool.
        const maxCostUsd = pool.maxCostUsd !== undefined ? Math.floor((pool.maxCostUsd * budget * 1e6) / total) / 1e6 : undefined;
        const units = wish.budget > budget ? wish.units.slice(0, Math.max(1, Math.ceil((wish.units.length * budget) / wish.budget))) : wish.units;
        return { units, budget, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}), ...(wish.issue ? { issue: wish.issue } : {}) };
    });
}
/**
 * Bring the units in line with the work list just computed: new units become pending; pending or failed units no
 * longer listed are gone (someone did them by hand, or the file went away); done and in-progress units stay.
 * Plans nobody collected within PLAN_EXPIRES_MS give their units without a run back.
 */
function syncWorkList(state, workList, now) {
    const listed = new Set(workList);
    for (const [unit, u] of Object.entries(state.units)) {
        if (!listed.has(unit) && (u.status === 'pending' || u.status === 'failed' || u.status === 'parked'))
            delete state.units[unit];
    }
    for (const unit of workList)
        state.units[unit] ??= { status: 'pending', attempts: 0 };
    for (const plan of state.plans) {
        if (plan.collected || Date.parse(now) - Date.parse(plan.at) < PLAN_EXPIRES_MS)
            continue;
        for (const shard of plan.shards) {
            if (shard.runs.length > 0)
                continue;
            for (const unit of shard.units) {
                const u = state.units[unit];
                if (u?.status === 'in-progress' && u.plan === plan.id)
                    state.units[unit] = { ...u, status: 'pending', plan: undefined, reason: `plan ${plan.id} was never collected` };
            }
        }
    }
}
/**
 * Units a new plan may hand out, in work-list order: pending, or failed fewer than `maxAttempts` times (a parked
 * unit comes back when `max-attempts` is raised above its attempts).
 */
function eligibleUnits(state, workList, maxAttempts) {
    return workList.filter((unit) => retryable(state.units[unit], maxAttempts));
}
const retryable = (u, maxAttempts) => u !== undefined && (u.status === 'pending' || ((u.status === 'failed' || u.status === 'parked') && u.attempts < maxAttempts));
/**
 * The plan this workflow run already made: a re-run of the run (or of its plan job) gets it back instead of a second
 * plan, so re-running a run never does more than the run did. Progress comes from the next run.
 */
function planOfRun(state, run) {
    return state.plans.find((p) => p.run === run);
}
/** Record a new plan: its shards numbered from 1, their units in progress. */
function addPlan(state, shards, meta) {
    const plan = { id: state.nextPlan, run: meta.run, at: meta.at, pool: meta.pool, shards: shards.map((s, i) => ({ ...s, n: i + 1, runs: [] })) };
    if (meta.skipped?.length)
        plan.skipped = meta.skipped;
    state.nextPlan += 1;
    for (const shard of plan.shards) {
        for (const unit of shard.units) {
            const u = state.units[unit] ?? { status: 'pending', attempts: 0 };
            state.units[unit] = { ...u, status: 'in-progress', plan: plan.id };
        }
    }
    state.plans.push(plan);
    return plan;
}
// ---------------------------------------------------------------------------------------------------------------
// Shard
/** What a shard job may still spend: its share minus what earlier attempts of the same shard spent. */
function shareLeft(shard) {
    const tokens = shard.budget - shard.runs.reduce((a, r) => a + r.loopTokens, 0);
    const costUsd = shard.maxCostUsd === undefined ? undefined : roundUsd(shard.maxCostUsd - shard.runs.reduce((a, r) => a + r.costUsd, 0));
    return { tokens, ...(costUsd !== undefined ? { costUsd } : {}) };
}
/** Add a shard run (once: the same job reporting again changes nothing). Returns false when it was already there. */
function addShardRun(state, planId, n, run) {
    const shard = state.plans.find((p) => p.id === planId)?.shards.find((s) => s.n === n);
    if (!shard || shard.runs.some((r) => r.run === run.run))
        return false;
    shard.runs.push(run);
    state.spent = { runs: state.spent.runs + 1, loopTokens: state.spent.loopTokens + run.loopTokens, costUsd: roundUsd(state.spent.costUsd + run.costUsd) };
    return true;
}
// ---------------------------------------------------------------------------------------------------------------
// Collect
/** The shard's figures: the sum of its runs (a retried shard has several). */
function shardTotals(shard) {
    const sum = (f) => shard.runs.reduce((a, r) => a + f(r), 0);
    return {
        loopTokens: sum((r) => r.loopTokens),
        billed: { input: sum((r) => r.billed.input), cacheWrite: sum((r) => r.billed.cacheWrite), cacheRead: sum((r) => r.billed.cacheRead), output: sum((r) => r.billed.output) },
        costUsd: roundUsd(sum((r) => r.costUsd)),
        turns: sum((r) => r.turns),
    };
}
/**
 * Collect a plan: each shard's units become done (those its merged work finished) or go back with the reason,
 * parked once they failed `maxAttempts` times. Pure; applying it twice changes nothing.
 */
function applyCollect(state, planId, outcomes, meta) {
    const plan = state.plans.find((p) => p.id === planId);
    if (!plan || plan.collected)
        return;
    for (const shard of plan.shards) {
        const outcome = outcomes.get(shard.n) ?? { reason: 'the shard was not collected' };
        shard.outcome = outcome;
        const done = new Set(outcome.merged !== undefined ? shard.runs.flatMap((r) => r.unitsDone) : []);
        const ran = shard.runs.length > 0;
        for (const unit of shard.units) {
            const u = state.units[unit];
            // A unit some other plan took over (this plan expired) is that plan's now.
            if (!u || (u.plan !== plan.id && u.status !== 'pending'))
                continue;
            if (done.has(unit)) {
                state.units[unit] = { status: 'done', attempts: u.attempts, plan: plan.id };
                continue;
            }
            const reason = outcome.reason ?? shardReason(shard);
            // A shard that never ran did not try: its units are simply pending again.
            const attempts = ran ? u.attempts + 1 : u.attempts;
            const status = !ran ? 'pending' : attempts >= meta.maxAttempts ? 'parked' : 'failed';
            state.units[unit] = { status, attempts, reason };
        }
    }
    plan.collected = { run: meta.run, at: meta.at };
    delete plan.collecting;
    const collected = state.plans.filter((p) => p.collected);
    const drop = new Set(collected.slice(0, Math.max(0, collected.length - KEPT_COLLECTED_PLANS)).map((p) => p.id));
    state.plans = state.plans.filter((p) => !drop.has(p.id));
}
/** Why a merged shard left a unit undone. */
function shardReason(shard) {
    const last = shard.runs[shard.runs.length - 1];
    if (!last)
        return `shard ${shard.n} did not run`;
    if (last.status === 'budget-exhausted')
        return `shard ${shard.n} reached its budget share (${shard.budget.toLocaleString('en-US')} tokens) before finishing it`;
    if (last.status === 'completed' || last.status === 'no-changes')
        return `shard ${shard.n} ended without finishing it`;
    return `shard ${shard.n} ${last.status}${last.reason ? `: ${last.reason}` : ''}`;
}
/**
 * Where the task stands, and a forecast: what the rest would cost at the mean spend per done unit so far (every
 * run counts, failed ones too), and how many more runs that is at this pool.
 */
function progressOf(state, pool) {
    const count = (s) => Object.values(state.units).filter((u) => u.status === s).length;
    const [done, failed, parked, inProgress, pending] = ['done', 'failed', 'parked', 'in-progress', 'pending'].map(count);
    const remaining = pending + inProgress + failed;
    const p = { total: done + failed + parked + inProgress + pending, done, failed, parked, inProgress, pending, remaining, spent: state.spent };
    if (done > 0 && remaining > 0) {
        const costUsd = roundUsd((state.spent.costUsd / done) * remaining);
        const loopTokens = Math.ceil((state.spent.loopTokens / done) * remaining);
        const runs = Math.max(Math.ceil(loopTokens / pool.tokens), pool.maxCostUsd ? Math.ceil(costUsd / pool.maxCostUsd) : 0, 1);
        p.forecast = { costUsd, loopTokens, runs };
    }
    return p;
}

// EXTERNAL MODULE: ./src/config/read-repo-config.ts
var read_repo_config = __webpack_require__(30548);
// EXTERNAL MODULE: ./src/decision.ts
var decision = __webpack_require__(27033);
// EXTERNAL MODULE: ./src/publish/credentials.ts
var publish_credentials = __webpack_require__(43525);
// EXTERNAL MODULE: ./src/trigger/gate.ts
var gate = __webpack_require__(33617);
// EXTERNAL MODULE: ./src/util/redact.ts
var redact = __webpack_require__(50767);
;// CONCATENATED MODULE: ./src/fanout/open-fanout.ts






const kindOf = (task) => (task.fanout.sweep ? 'sweep' : 'migration');
/**
 * Gate, config, tasks, credentials. Who may start fan-out work: a schedule runs what the default branch configures;
 * anything else needs a sender (and a re-runner) with write access, as for every taskcap run. The task is the
 * `task` input (or the dispatch's `task`); a schedule with none takes every due fan-out task.
 */
async function openFanout(inputs, ctx, ports, taskName) {
    const redactor = new redact/* Redactor */.pO().add(inputs.anthropicApiKey).add(inputs.githubToken).addEnvironment(ports.environment ?? {});
    if (ctx.eventName !== 'schedule') {
        const sender = ctx.payload.sender;
        const verdict = await (0,gate/* checkPermission */.Y)(ports.github, {
            sender: typeof sender?.login === 'string' ? { login: sender.login, type: typeof sender.type === 'string' ? sender.type : undefined } : undefined,
            triggeringActor: ctx.runAttempt > 1 ? ctx.triggeringActor : undefined,
            allowedBots: inputs.allowedBots,
        });
        if (verdict.kind !== 'go')
            return verdict;
    }
    const repository = ctx.payload.repository;
    const defaultBranch = typeof repository?.default_branch === 'string' && repository.default_branch ? repository.default_branch : await ports.github.defaultBranch();
    const config = await (0,read_repo_config/* readRepoConfig */.b)(ports.github, inputs.configPath, defaultBranch, ports.log);
    const tasks = pickTasks(config, ctx, inputs.mode, taskName ?? inputs.task ?? dispatchedTask(ctx));
    if (tasks.kind !== 'go')
        return tasks;
    const credentials = await (0,publish_credentials/* resolveGitCredentials */.Zs)(ports.git, ctx.serverUrl, inputs.githubToken, redactor);
    const runKey = ctx.runAttempt > 1 ? `${ctx.runId}-${ctx.runAttempt}` : ctx.runId;
    return (0,decision.go)({ inputs, ctx, ports, config, defaultBranch, redactor, credentials, tasks: tasks.value, runKey });
}
function dispatchedTask(ctx) {
    if (ctx.eventName !== 'workflow_dispatch')
        return undefined;
    const task = ctx.payload.inputs?.task;
    return typeof task === 'string' && task.trim() ? task.trim() : undefined;
}
function pickTasks(config, ctx, mode, name) {
    const fanouts = Object.entries(config.tasks).filter((e) => e[1].fanout !== undefined);
    const known = fanouts.map(([n]) => n).join(', ') || 'none';
    if (name) {
        const task = config.tasks[name];
        if (!task)
            throw new errors/* UserError */.yo(`Input 'task' names '${name}', which .github/taskcap.yml on the default branch does not define (fan-out tasks: ${known}).`);
        if (!task.fanout)
            throw new errors/* UserError */.yo(`Input 'task': '${name}' is not a fan-out task (it has no units or sweep), so mode: ${mode} has nothing to plan. Run it with mode: run, or add units to it.`);
        return (0,decision.go)([{ name, task: task, kind: kindOf(task) }]);
    }
    if (ctx.eventName === 'schedule') {
        const cron = String(ctx.payload.schedule ?? '').trim();
        const due = fanouts.filter(([, t]) => t.schedule === cron);
        if (due.length === 0)
            return (0,decision/* skip */.iv)(`no fan-out task in the config has schedule '${cron}'`);
        return (0,decision.go)(due.map(([n, task]) => ({ name: n, task, kind: kindOf(task) })));
    }
    throw new errors/* UserError */.yo(`mode: ${mode} needs the task to work on: set the 'task' input (fan-out tasks: ${known}).`);
}

// EXTERNAL MODULE: ./src/render/receipt.ts
var receipt = __webpack_require__(97028);
// EXTERNAL MODULE: ./src/render/markdown.ts
var markdown = __webpack_require__(42495);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(32693);
;// CONCATENATED MODULE: ./src/fanout/render-fanout.ts




/**
 * What people read about a fan-out task: the plan (job summary of the plan job), the migration PR's body (progress
 * by unit, spend, forecast), the combined receipt (a row per shard, totals that are the sum of the rows), and the
 * sweep summary. Pure functions of the state.
 */
/** The migration PR carries this marker; the state on the ledger branch is the source of its progress. */
const FANOUT_PR_MARKER = (task) => `<!-- taskcap:fanout task=${task} -->`;
const SWEEP_MARKER = (task) => `<!-- taskcap:sweep task=${task} -->`;
const unit = (u) => (0,markdown/* plainText */.wh)(u, 120);
const usdCell = (n) => (0,markdown/* formatMoney */.up)(n);
function progressLine(p) {
    const parts = [`**${(0,format/* formatInt */.Dw)(p.done)} / ${(0,format/* formatInt */.Dw)(p.total)} done**`, `${(0,format/* formatInt */.Dw)(p.remaining)} remaining`];
    if (p.failed)
        parts.push(`${(0,format/* formatInt */.Dw)(p.failed)} failed (to retry)`);
    if (p.parked)
        parts.push(`${(0,format/* formatInt */.Dw)(p.parked)} parked`);
    if (p.inProgress)
        parts.push(`${(0,format/* formatInt */.Dw)(p.inProgress)} in progress`);
    return parts.join(' · ');
}
function spendLines(p, pool) {
    const lines = [`- Spent so far: ${(0,format/* formatInt */.Dw)(p.spent.loopTokens)} loop tokens, ${(0,markdown/* formatMoney */.up)(p.spent.costUsd)} over ${(0,format/* formatInt */.Dw)(p.spent.runs)} shard runs.`];
    const poolText = `${(0,format/* formatInt */.Dw)(pool.tokens)} tokens${pool.maxCostUsd !== undefined ? ` / ${(0,markdown/* formatMoney */.up)(pool.maxCostUsd)}` : ''} per run`;
    if (p.forecast) {
        lines.push(`- Forecast for the ${(0,format/* formatInt */.Dw)(p.remaining)} remaining: about ${(0,format/* formatInt */.Dw)(p.forecast.loopTokens)} loop tokens, ${(0,markdown/* formatMoney */.up)(p.forecast.costUsd)} (the mean spend per done unit so far × remaining), about **${p.forecast.runs} more run${p.forecast.runs === 1 ? '' : 's'}** at the pool of ${poolText}.`);
    }
    else if (p.remaining > 0)
        lines.push(`- No forecast yet: no unit is done. Pool: ${poolText}.`);
    return lines;
}
const STATUS_ICON = { done: '✅', 'in-progress': '⏳', pending: '⬜', failed: '🔁', parked: '⛔' };
/** Units by status, the ones that need attention first; long lists are cut with a count (the state file has them all). */
function unitTable(state, maxRows) {
    const order = ['parked', 'failed', 'in-progress', 'pending', 'done'];
    const rows = Object.entries(state.units).sort((a, b) => order.indexOf(a[1].status) - order.indexOf(b[1].status) || (a[0] < b[0] ? -1 : 1));
    const shown = rows.slice(0, maxRows);
    const lines = ['| | unit | status | attempts | note |', '|---|---|---|---:|---|'];
    for (const [name, u] of shown)
        lines.push(`| ${STATUS_ICON[u.status]} | ${unit(name)} | ${u.status}${u.plan ? ` (plan ${u.plan})` : ''} | ${u.attempts} | ${u.reason ? (0,markdown/* plainText */.wh)(u.reason, 160) : ''} |`);
    if (rows.length > shown.length)
        lines.push('', `… and ${(0,format/* formatInt */.Dw)(rows.length - shown.length)} more units (all of them are in the state file).`);
    return lines;
}
/** The migration PR's body: progress, spend, forecast, the units. */
function renderMigrationBody(o) {
    const { state, progress } = o;
    const lines = [
        `Fan-out task \`${o.task}\`: ${(0,markdown/* plainText */.wh)(o.prompt, 300)}`,
        '',
        '## Progress',
        '',
        progressLine(progress),
        '',
        ...spendLines(progress, o.pool),
        '',
    ];
    if (o.tests)
        lines.push(`Tests on the merged work: \`${o.tests.command.replace(/`/g, "'")}\` ${o.tests.passed ? 'passed ✅' : 'failed ❌ (this PR stays a draft)'}.`, '');
    if (progress.parked)
        lines.push('⛔ Parked units failed `shard.max-attempts` times and are not retried; their notes say why. Fix them by hand on this branch, or raise `shard.max-attempts`.', '');
    lines.push('## Units', '', ...unitTable(state, 400), '', `<sub>taskcap fan-out · [state](${(0,markdown/* safeUrl */.Pl)(o.stateUrl) ?? ''}) · each run merges its shards here; re-run the workflow to continue</sub>`, '', FANOUT_PR_MARKER(o.task));
    return (0,markdown/* fitComment */.pI)(lines.join('\n'));
}
function shardRows(plan) {
    return plan.shards.map((shard) => {
        const t = shardTotals(shard);
        const last = shard.runs[shard.runs.length - 1];
        const outcome = shard.outcome?.merged !== undefined ? (shard.issue ? 'PR opened' : 'merged') : shard.outcome?.reason ? 'not merged' : '';
        return {
            label: shard.issue ? `plan ${plan.id} · #${shard.issue.number}` : `plan ${plan.id} · shard ${shard.n} (${shard.units.length} units)`,
            status: `${last?.status ?? 'did not run'}${outcome ? ` · ${outcome}` : ''}`,
            loopTokens: t.loopTokens,
            billed: t.billed,
            costUsd: t.costUsd,
            runs: shard.runs.length,
            url: last?.url,
            note: shard.outcome?.reason,
        };
    });
}
/** Σ of the rows, exactly (integers; dollars rounded to 1e-8 like the run records). */
function sumRows(rows) {
    const sum = (f) => rows.reduce((a, r) => a + f(r), 0);
    return {
        loopTokens: sum((r) => r.loopTokens),
        billed: { input: sum((r) => r.billed.input), cacheWrite: sum((r) => r.billed.cacheWrite), cacheRead: sum((r) => r.billed.cacheRead), output: sum((r) => r.billed.output) },
        costUsd: Math.round(sum((r) => r.costUsd) * 1e8) / 1e8,
        runs: sum((r) => r.runs),
    };
}
/** The combined receipt: a row per shard of the plans this collect finished, totals equal to the sum of the rows. */
function renderCombinedReceipt(o) {
    const rows = o.plans.flatMap(shardRows);
    const total = sumRows(rows);
    const b = (x) => `${(0,format/* formatInt */.Dw)(x.input)} / ${(0,format/* formatInt */.Dw)(x.cacheWrite)} / ${(0,format/* formatInt */.Dw)(x.cacheRead)} / ${(0,format/* formatInt */.Dw)(x.output)}`;
    const poolTokens = o.plans.reduce((a, p) => a + p.pool.tokens, 0);
    const lines = [
        receipt/* RECEIPT_MARKER */.OJ,
        `### taskcap fan-out receipt · \`${o.task}\``,
        '',
        `${progressLine(o.progress)} · this run: ${(0,format/* formatInt */.Dw)(total.loopTokens)} / ${(0,format/* formatInt */.Dw)(poolTokens)} pool tokens · ${(0,markdown/* formatMoney */.up)(total.costUsd)}`,
        '',
        '| shard | status | loop tokens | billed in / cache write / cache read / out | cost | runs | job |',
        '|---|---|---:|---|---:|---:|---|',
        ...rows.map((r) => `| ${r.label} | ${(0,markdown/* plainText */.wh)(r.status, 80)} | ${(0,format/* formatInt */.Dw)(r.loopTokens)} | ${b(r.billed)} | ${usdCell(r.costUsd)} | ${r.runs} | ${(0,markdown/* safeUrl */.Pl)(r.url) ? `[run](${r.url})` : ''} |`),
        `| **total** | | **${(0,format/* formatInt */.Dw)(total.loopTokens)}** | **${b(total.billed)}** | **${usdCell(total.costUsd)}** | **${total.runs}** | [collect](${(0,markdown/* safeUrl */.Pl)(o.runUrl) ?? ''}) |`,
        '',
        ...spendLines(o.progress, o.pool),
    ];
    const notes = rows.filter((r) => r.note);
    if (notes.length)
        lines.push('', '<details><summary>Why some shards were not merged</summary>', '', ...notes.map((r) => `- ${r.label}: ${(0,markdown/* plainText */.wh)(r.note, 300)}`), '', '</details>');
    return (0,markdown/* fitComment */.pI)(lines.join('\n'));
}
/** The plan job's summary: the shards and their shares, what was left out. */
function renderPlanSummary(o) {
    const lines = [`## taskcap plan · \`${o.task}\``, ''];
    if (o.note)
        lines.push(o.note, '');
    const plan = o.plan;
    if (plan) {
        const budgets = plan.shards.reduce((a, s) => a + s.budget, 0);
        const dollars = plan.shards.reduce((a, s) => a + (s.maxCostUsd ?? 0), 0);
        lines.push(`Plan ${plan.id}${o.reused ? ' (already made by this run: the same plan again)' : ''}: ${plan.shards.length} shard${plan.shards.length === 1 ? '' : 's'}, ${(0,format/* formatInt */.Dw)(plan.shards.reduce((a, s) => a + s.units.length, 0))} units, ${(0,format/* formatInt */.Dw)(budgets)} of the pool's ${(0,format/* formatInt */.Dw)(o.pool.tokens)} tokens${o.pool.maxCostUsd !== undefined ? `, ${(0,markdown/* formatMoney */.up)(dollars)} of its ${(0,markdown/* formatMoney */.up)(o.pool.maxCostUsd)}` : ''}.`, '', '| shard | units | budget | cost cap |', '|---:|---|---:|---:|', ...plan.shards.map((s) => `| ${s.n} | ${s.issue ? `#${s.issue.number} (${s.issue.className}, labeled by ${(0,markdown/* plainText */.wh)(s.issue.actor, 40)})` : s.units.slice(0, 5).map(unit).join(', ') + (s.units.length > 5 ? ` … (${s.units.length})` : '')} | ${(0,format/* formatInt */.Dw)(s.budget)} | ${s.maxCostUsd !== undefined ? (0,markdown/* formatMoney */.up)(s.maxCostUsd) : '–'} |`), '');
        if (plan.skipped?.length)
            lines.push('Left out:', '', ...plan.skipped.map((s) => `- ${unit(s.unit)}: ${(0,markdown/* plainText */.wh)(s.reason, 200)}`), '');
    }
    else
        lines.push('Nothing to do in this run.', '');
    lines.push(progressLine(o.progress), '', ...spendLines(o.progress, o.pool));
    return lines.join('\n');
}
/** The sweep summary: one row per issue of the collected plans, the issues left out, the totals. */
function renderSweepSummary(o) {
    const rows = o.plans.flatMap(shardRows);
    const total = sumRows(rows);
    const lines = [
        SWEEP_MARKER(o.task),
        `## taskcap sweep · \`${o.task}\` · label \`${o.label.replace(/`/g, "'")}\``,
        '',
        '| issue | class | status | pull request | loop tokens | cost |',
        '|---|---|---|---|---:|---:|',
    ];
    for (const plan of o.plans) {
        for (const shard of plan.shards) {
            const last = shard.runs[shard.runs.length - 1];
            const t = shardTotals(shard);
            const pr = last?.pr ? ((0,markdown/* safeUrl */.Pl)(last.pr.url) ? `[#${last.pr.number}](${last.pr.url})` : `#${last.pr.number}`) : '';
            lines.push(`| #${shard.issue?.number ?? '?'} | ${shard.issue?.className ?? ''} | ${last?.status ?? 'did not run'} | ${pr} | ${(0,format/* formatInt */.Dw)(t.loopTokens)} | ${usdCell(t.costUsd)} |`);
        }
    }
    lines.push(`| **total** | | | | **${(0,format/* formatInt */.Dw)(total.loopTokens)}** | **${usdCell(total.costUsd)}** |`, '');
    const skipped = o.plans.flatMap((p) => p.skipped ?? []);
    if (skipped.length)
        lines.push('Left out:', '', ...skipped.map((s) => `- ${unit(s.unit)}: ${(0,markdown/* plainText */.wh)(s.reason, 200)}`), '');
    lines.push(`<sub>[collect run](${(0,markdown/* safeUrl */.Pl)(o.runUrl) ?? ''})</sub>`);
    return (0,markdown/* fitComment */.pI)(lines.join('\n'));
}

;// CONCATENATED MODULE: ./src/fanout/shard-id.ts

/**
 * Names a fan-out run is known by. A shard id (`<task>/<plan>/<shard>`) is what the matrix carries; its branch
 * lives under `taskcap/shards/`, beside (never under) the task branch `taskcap/task-<name>`: git cannot hold both
 * `taskcap/task-x` and `taskcap/task-x/shard-1`, since one ref cannot also be a directory of refs.
 */
const shardId = (task, plan, n) => `${task}/${plan}/${n}`;
function parseShardId(raw) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/([1-9]\d{0,8})\/([1-9]\d{0,3})$/.exec(raw.trim());
    if (!m)
        throw new errors/* UserError */.yo(`Input 'shard' must be a shard id from the plan's matrix, like esm-migration/3/1 (pass shard: \${{ matrix.shard }}); got '${raw}'.`);
    return { task: m[1], plan: Number(m[2]), n: Number(m[3]) };
}
const taskBranchOf = (task) => `taskcap/task-${task}`;
const shardBranchOf = (task, plan, n) => `taskcap/shards/${task}/${plan}-${n}`;
const shardBranchPrefix = (task) => `taskcap/shards/${task}/`;

;// CONCATENATED MODULE: ./src/fanout/state-store.ts




/** Where a task's fan-out state lives on the `taskcap/ledger` branch. */
const statePath = (task) => `fanout/${task}.json`;
/** Concurrent shards all report to the same file: more attempts than a single ledger line needs. */
const STATE_ATTEMPTS = 24;
function parseState(text, task, kind) {
    if (text === undefined)
        return emptyState(task, kind);
    let raw;
    try {
        raw = JSON.parse(text);
    }
    catch {
        throw new errors/* UserError */.yo(`The fan-out state ${statePath(task)} on taskcap/ledger is not valid JSON. Delete the file to start the task over (done units will be planned again).`);
    }
    const s = raw;
    if (!s || s.v !== STATE_VERSION || typeof s.units !== 'object' || !Array.isArray(s.plans) || typeof s.nextPlan !== 'number') {
        throw new errors/* UserError */.yo(`The fan-out state ${statePath(task)} on taskcap/ledger is not a version ${STATE_VERSION} state. Delete the file to start the task over.`);
    }
    if (s.kind !== kind) {
        throw new errors/* UserError */.yo(`The fan-out state ${statePath(task)} belongs to a ${s.kind} task, but tasks.${task} is now a ${kind}. Delete the file to start the task over.`);
    }
    return s;
}
/** The task's state as it is now (a fresh state when there is none). */
async function readState(git, auth, task, kind) {
    const read = await (0,ledger_store/* readLedgerBranch */.cF)(git, auth);
    return parseState(await read(statePath(task)), task, kind);
}
/**
 * Change the state (and the ledger) in one leased commit. `change` gets the state as it is on the branch and edits
 * it in place; returning false writes nothing. On a lost race it runs again on the newer state, so it must be a
 * function of the state it is given. Returns the state as written (or as read, when nothing was written).
 */
async function updateState(git, auth, clock, task, kind, change) {
    let last;
    await (0,ledger_store/* updateLedgerBranch */.Tp)(git, auth, async (read) => {
        const state = parseState(await read(statePath(task)), task, kind);
        last = state;
        const result = change(state);
        if (result === false)
            return undefined;
        const files = { [statePath(task)]: `${JSON.stringify(state)}\n` };
        if (result.ledger?.length) {
            const text = (await read(ledger_store/* LEDGER_FILE */.th)) ?? '';
            const have = new Set((0,ledger/* parseLedger */.h8)(text).map((e) => `${e.runId} ${e.shard ?? ''}`));
            const fresh = result.ledger.filter((e) => !have.has(`${e.runId} ${e.shard ?? ''}`));
            if (fresh.length)
                files[ledger_store/* LEDGER_FILE */.th] = fresh.reduce((t, e) => (0,ledger_store/* withLine */.$2)(t, (0,ledger/* formatLedgerLine */.Fs)(e)), text);
        }
        return files;
    }, clock, { attempts: STATE_ATTEMPTS, message: `taskcap: fan-out state of ${task}` });
    return last;
}

;// CONCATENATED MODULE: ./src/fanout/collect-mode.ts





















/** A collect's claim on its plans holds others off this long at most (a collect that died without releasing it). */
const CLAIM_STALE_MS = 20 * 60_000;
/** How long a second collect waits for the first before giving up (it would find nothing left to do anyway). */
const CLAIM_WAIT_MS = 15 * 60_000;
const CLAIM_POLL_MS = 3_000;
/** Plans of other workflow runs are collected once they are this old (their shards may still be running before). */
const FOREIGN_PLAN_AGE_MS = 6 * 3600_000;
/**
 * `mode: collect` (after the matrix, `if: always()`): merge the shard branches into the task branch in a fixed order
 * (a conflicting shard's units go back with the reason), test the merged work, open or update the one PR with the
 * progress, post one combined receipt, record every shard run in the ledger, delete the merged shard branches. A
 * sweep gets its summary instead (each issue already has its own PR and receipt). Re-running it changes nothing.
 */
async function runCollectMode(inputs, ctx, ports) {
    const opened = await openFanout(inputs, ctx, ports);
    if (opened.kind !== 'go')
        return { status: opened.kind === 'skip' ? 'skipped' : 'refused', reason: opened.reason, outputs: {} };
    const f = opened.value;
    const results = [];
    for (const t of f.tasks)
        results.push(await collectTask(f, t));
    const rows = results.flatMap((r) => r.rows);
    const total = sumRows(rows);
    const last = results.filter((r) => r.pr).pop();
    return {
        status: 'completed',
        outputs: {
            'loop-tokens': String(total.loopTokens),
            'input-tokens': String(total.billed.input),
            'cache-write-tokens': String(total.billed.cacheWrite),
            'cache-read-tokens': String(total.billed.cacheRead),
            'output-tokens': String(total.billed.output),
            'cost-usd': total.costUsd.toFixed(6),
            'pr-number': last?.pr ? String(last.pr.number) : '',
            'pr-url': last?.pr?.url ?? '',
            'comment-url': results.map((r) => r.commentUrl).filter(Boolean).pop() ?? '',
            branch: f.tasks.length === 1 && f.tasks[0].kind === 'migration' ? taskBranchOf(f.tasks[0].name) : '',
        },
        summary: results.map((r) => r.summary).join('\n\n'),
    };
}
/** Plans this collect takes: its own run's, and other runs' once they are old enough to be finished or abandoned. */
function collectable(state, f) {
    const now = f.ports.clock.now();
    return state.plans.filter((p) => !p.collected && (p.run === f.ctx.runId || now - Date.parse(p.at) >= FOREIGN_PLAN_AGE_MS));
}
async function collectTask(f, t) {
    const { log } = f.ports;
    const state = await claim(f, t);
    const plans = collectable(state, f);
    if (plans.length === 0) {
        log.info(`Collect ${t.name}: nothing to collect (no plan of this run is open).`);
        await deleteMergedBranches(f, t, state);
        return { summary: `## taskcap collect · \`${t.name}\`\n\nNothing to collect: this run's plan was already collected (or made no shard).`, rows: [] };
    }
    try {
        return t.kind === 'sweep' ? await collectSweep(f, t, plans) : await collectMigration(f, t, plans);
    }
    finally {
        await (0,best_effort/* bestEffort */.z)(log, 'The collect claim could not be released', () => release(f, t, plans));
    }
}
/**
 * Claim the open plans for this collect (a leased write). Another collect holding them is waited for; when it is
 * done there is nothing left to collect, so two collects never merge, comment or record twice.
 */
async function claim(f, t) {
    const { clock, log, git } = f.ports;
    const deadline = clock.now() + CLAIM_WAIT_MS;
    for (;;) {
        let busy;
        const state = await updateState(git, f.credentials.auth, clock, t.name, t.kind, (s) => {
            busy = undefined;
            const now = clock.now();
            const plans = collectable(s, f);
            if (plans.length === 0)
                return false;
            const held = plans.find((p) => p.collecting && p.collecting.run !== f.runKey && now - Date.parse(p.collecting.at) < CLAIM_STALE_MS);
            if (held) {
                busy = held.collecting.run;
                return false;
            }
            for (const p of plans)
                p.collecting = { run: f.runKey, at: new Date(now).toISOString() };
            return {};
        });
        if (!busy)
            return state;
        if (clock.now() >= deadline)
            throw new errors/* UserError */.yo(`Another collect (run ${busy}) is still collecting ${t.name}; re-run this job once it has finished.`);
        log.info(`Collect ${t.name}: waiting for the collect of run ${busy} to finish.`);
        await clock.sleep(CLAIM_POLL_MS);
    }
}
/** Give the claim back (a collect that failed midway: the next one starts over; what it merged stays merged). */
async function release(f, t, plans) {
    const ids = new Set(plans.map((p) => p.id));
    await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, (s) => {
        const mine = s.plans.filter((p) => ids.has(p.id) && p.collecting?.run === f.runKey);
        for (const p of mine)
            delete p.collecting;
        return mine.length ? {} : false;
    });
}
// ---------------------------------------------------------------------------------------------------------------
// Migration
async function collectMigration(f, t, plans) {
    const { git, log, github, clock } = f.ports;
    const { auth } = f.credentials;
    const trunk = taskBranchOf(t.name);
    const spec = t.task.fanout;
    const fetched = await git.run(['fetch', '--no-tags', '--depth=50', 'origin', `+refs/heads/${trunk}:refs/remotes/origin/${trunk}`], { env: auth, allowFailure: true });
    const start = fetched.exitCode === 0 ? await git.output(['rev-parse', `refs/remotes/origin/${trunk}`]) : await git.output(['rev-parse', 'HEAD']);
    await git.run(['checkout', '--force', '-B', trunk, start]);
    const outcomes = new Map();
    for (const plan of [...plans].sort((a, b) => a.id - b.id)) {
        const byShard = new Map();
        for (const shard of [...plan.shards].sort((a, b) => a.n - b.n))
            byShard.set(shard.n, await mergeShard(f, t, plan, shard));
        outcomes.set(plan.id, byShard);
    }
    const head = await git.output(['rev-parse', 'HEAD']);
    const mergedNow = head !== start;
    let tests;
    if (f.inputs.testCommand && mergedNow)
        tests = await testMerged(f, f.inputs.testCommand, head);
    if (mergedNow) {
        // The merged commit by its id: whatever the test command's processes did to HEAD or the refs, this is what lands.
        await git.run(['push', '--no-verify', `--force-with-lease=refs/heads/${trunk}:${fetched.exitCode === 0 ? start : ''}`, 'origin', `${head}:refs/heads/${trunk}`], { env: auth });
        log.info(`Pushed the merged work to ${trunk} (${head.slice(0, 7)}).`);
    }
    // What the state will say once this collect is recorded: the PR and the receipt show it.
    const at = new Date(clock.now()).toISOString();
    const preview = await previewOf(f, t, plans, outcomes, at);
    const progress = progressOf(preview, spec.pool);
    const collectedPlans = preview.plans.filter((p) => plans.some((q) => q.id === p.id));
    const rows = collectedPlans.flatMap(shardRows);
    const receipt = renderCombinedReceipt({ task: t.name, plans: collectedPlans, progress, pool: spec.pool, runUrl: (0,runner_context/* runUrl */.V)(f.ctx) });
    let pr = preview.pr;
    let commentUrl;
    const anyMerged = mergedNow || preview.plans.some((p) => p.shards.some((s) => s.outcome?.merged));
    if (anyMerged || pr) {
        const stateUrl = `${f.ctx.serverUrl}/${f.ctx.owner}/${f.ctx.repo}/blob/${ledger_store/* LEDGER_BRANCH */.jF}/${statePath(t.name)}`;
        const body = f.redactor.redact(renderMigrationBody({ task: t.name, prompt: t.task.prompt, state: preview, progress, pool: spec.pool, stateUrl, tests }));
        const { pull, operation } = await (0,pull_request/* createOrUpdatePullRequest */.f)(github, { branch: trunk, base: f.defaultBranch, title: `taskcap: ${t.name}`, body, draft: tests?.passed === false });
        pr = { number: pull.number, url: pull.url };
        log.info(`PR #${pull.number} ${operation}: ${pull.url}`);
        await (0,best_effort/* bestEffort */.z)(log, 'The combined receipt could not be written', async () => {
            commentUrl = (await (0,receipt_comment/* upsertReceipt */.ep)(github, pull.number, f.redactor.redact(receipt))).url;
        });
    }
    await record(f, t, plans, outcomes, at, pr);
    await deleteMergedBranches(f, t, preview);
    const summary = [receipt.split('\n').slice(1).join('\n'), pr ? `\nPull request: ${pr.url}` : '\nNo pull request yet: no shard has merged work.'].join('\n');
    return { summary, pr, commentUrl, rows };
}
/**
 * Merge one shard's branch into the task branch (the checked-out HEAD). Not merged: a shard that did not run,
 * pushed nothing or failed its tests, and one whose merge conflicts (the merge is aborted, nothing half-done stays).
 * A shard already merged by an earlier attempt of this collect merges as "already up to date".
 */
async function mergeShard(f, t, plan, shard) {
    const { git, log } = f.ports;
    const { auth } = f.credentials;
    const id = shardId(t.name, plan.id, shard.n);
    const last = shard.runs[shard.runs.length - 1];
    if (!last)
        return { reason: `shard ${shard.n} did not run` };
    if (!last.commit)
        return { reason: `shard ${shard.n} ended ${last.status} without pushing work${last.reason ? ` (${last.reason})` : ''}` };
    if (last.testsPassed === false)
        return { reason: `the tests failed on shard ${shard.n}'s work, so it was not merged (its branch is kept)` };
    const branch = shardBranchOf(t.name, plan.id, shard.n);
    const fetched = await git.run(['fetch', '--no-tags', '--depth=50', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { env: auth, allowFailure: true });
    if (fetched.exitCode !== 0) {
        const known = await git.run(['merge-base', '--is-ancestor', last.commit, 'HEAD'], { allowFailure: true });
        return known.exitCode === 0 ? { merged: await git.output(['rev-parse', 'HEAD']) } : { reason: `shard ${shard.n}'s branch ${branch} is gone` };
    }
    await deepenUntilMergeable(f, branch);
    const message = `taskcap: merge ${id} (${shard.units.length} unit${shard.units.length === 1 ? '' : 's'})`;
    const merged = await git.run(['merge', '--no-ff', '--no-edit', '-m', message, last.commit], { env: { ...identity/* BOT_IDENTITY_ENV */.zB }, allowFailure: true });
    if (merged.exitCode === 0) {
        log.info(`Merged ${id}.`);
        return { merged: await git.output(['rev-parse', 'HEAD']) };
    }
    const conflict = (await git.run(['diff', '--name-only', '--diff-filter=U'], { allowFailure: true })).stdout.split('\n').filter(Boolean);
    await git.run(['merge', '--abort'], { allowFailure: true });
    await git.run(['reset', '--hard', '-q', 'HEAD'], { allowFailure: true });
    log.warn(`Shard ${id} conflicts with the merged work${conflict.length ? ` in ${conflict.join(', ')}` : ''}: not merged; its units go back to the work list.`);
    return { conflict, reason: `shard ${shard.n}'s work conflicted with the merged work${conflict.length ? ` in ${conflict.slice(0, 5).join(', ')}` : ''}; planned again on top of it` };
}
/** A shallow checkout may lack the common ancestor of the task branch and a shard branch: fetch more until it has it. */
async function deepenUntilMergeable(f, branch) {
    const { git } = f.ports;
    for (const deepen of ['--deepen=200', '--deepen=2000', '--unshallow']) {
        if ((await git.run(['merge-base', 'HEAD', `refs/remotes/origin/${branch}`], { allowFailure: true })).exitCode === 0)
            return;
        const trunk = (await git.output(['symbolic-ref', '--short', 'HEAD']).catch(() => '')) || undefined;
        const refs = [`+refs/heads/${branch}:refs/remotes/origin/${branch}`, ...(trunk ? [`+refs/heads/${trunk}:refs/remotes/origin/${trunk}`] : [])];
        await git.run(['fetch', '--no-tags', deepen, 'origin', ...refs], { env: f.credentials.auth, allowFailure: true });
    }
}
/**
 * The test command on the merged result: the shards' code, run like any agent command, under the same guard as a
 * run (credentials out of reach, .git/config and hooks put back before taskcap's git runs again). What it writes
 * is put back from taskcap's own repository.
 */
async function testMerged(f, command, head) {
    const { git, log, cancel, clock } = f.ports;
    const vault = new credential_vault/* CredentialVault */.qE((0,credential_vault/* credentialPaths */.AB)(f.ports.environment ?? {}, git.dir));
    const guard = await (0,workspace_guard/* guardWorkspace */.t)(git, f.credentials, f.ctx.serverUrl, vault);
    const repo = await (0,publish_repo/* openPublishRepo */.wV)(git);
    const home = (0,workbench/* createAgentHome */.xk)();
    const sandbox = await f.ports.makeShell({ workspace: git.dir, agentHome: home });
    const bench = (0,workbench/* createWorkbench */._v)({
        workspace: git.dir,
        shell: sandbox.shell,
        home,
        protectedGlobs: [...protected_paths/* DEFAULT_PROTECTED */.D_, f.inputs.configPath, ...f.inputs.protectedPaths],
        redact: (s) => f.redactor.redact(s),
        clock,
        passthroughEnv: f.inputs.allowedEnv,
    });
    try {
        const r = await log.group('Tests on the merged work', () => (0,run_tests/* runTestCommand */.z)(command, { repo, startSha: head, bench, shell: sandbox.shell, cancel, log, redactor: f.redactor }));
        return { command, passed: r.passed };
    }
    finally {
        bench.dispose();
        await sandbox.dispose();
        external_node_fs_default().rmSync(home, { recursive: true, force: true });
        repo.dispose();
        await guard.release();
    }
}
// ---------------------------------------------------------------------------------------------------------------
// Sweep
async function collectSweep(f, t, plans) {
    const { github, log, clock } = f.ports;
    const outcomes = new Map();
    for (const plan of plans) {
        outcomes.set(plan.id, new Map(plan.shards.map((s) => {
            const last = s.runs[s.runs.length - 1];
            const outcome = last?.pr ? { merged: `#${last.pr.number}` } : { reason: last ? `the run on #${s.issue?.number} ended ${last.status}${last.reason ? `: ${last.reason}` : ''}` : `#${s.issue?.number} was not worked on (the shard did not run)` };
            return [s.n, outcome];
        })));
    }
    const at = new Date(clock.now()).toISOString();
    const preview = await previewOf(f, t, plans, outcomes, at);
    const collectedPlans = preview.plans.filter((p) => plans.some((q) => q.id === p.id));
    const sweep = t.task.fanout.sweep;
    const summary = f.redactor.redact(renderSweepSummary({ task: t.name, label: sweep.label, plans: collectedPlans, runUrl: (0,runner_context/* runUrl */.V)(f.ctx) }));
    let commentUrl;
    if (sweep.trackingIssue !== undefined) {
        const marker = summary.split('\n')[0];
        await (0,best_effort/* bestEffort */.z)(log, `The sweep summary on #${sweep.trackingIssue} could not be written`, async () => {
            commentUrl = (await (0,receipt_comment/* upsertMarkedComment */.Zd)(github, sweep.trackingIssue, marker, summary)).url;
        });
    }
    await record(f, t, plans, outcomes, at);
    return { summary: summary.split('\n').slice(1).join('\n'), commentUrl, rows: collectedPlans.flatMap(shardRows) };
}
// ---------------------------------------------------------------------------------------------------------------
// Recording
/** The state as this collect will leave it (from the latest state on the branch). */
async function previewOf(f, t, plans, outcomes, at) {
    const state = await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, () => false);
    const preview = structuredClone(state);
    for (const plan of plans)
        applyCollect(preview, plan.id, outcomes.get(plan.id) ?? new Map(), { run: f.runKey, at, maxAttempts: t.task.fanout.shard.maxAttempts });
    return preview;
}
/** Record the collect and every shard run of its plans in the ledger (lines the shards already wrote are not repeated). */
async function record(f, t, plans, outcomes, at, pr) {
    const ids = new Set(plans.map((p) => p.id));
    await updateState(f.ports.git, f.credentials.auth, f.ports.clock, t.name, t.kind, (s) => {
        const ledger = [];
        for (const plan of s.plans.filter((p) => ids.has(p.id) && !p.collected)) {
            for (const shard of plan.shards)
                for (const run of shard.runs)
                    ledger.push(ledgerLineOf(f, t, plan, shard, run));
            applyCollect(s, plan.id, outcomes.get(plan.id) ?? new Map(), { run: f.runKey, at, maxAttempts: t.task.fanout.shard.maxAttempts });
        }
        if (pr)
            s.pr = pr;
        return { ledger };
    });
}
function ledgerLineOf(f, t, plan, shard, run) {
    const outcome = {
        ...(0,run_outcome/* emptyOutcome */.we)(run.status),
        className: shard.issue?.className ?? t.task.class,
        budget: shard.budget,
        loopTokens: run.loopTokens,
        billed: { input: run.billed.input, cacheWrite5m: run.billed.cacheWrite, cacheWrite1h: 0, cacheRead: run.billed.cacheRead, output: run.billed.output, thinking: 0 },
        costUsd: run.costUsd,
        turns: run.turns,
    };
    return (0,ledger/* ledgerEntry */.ay)(outcome, { at: run.at, repository: `${f.ctx.owner}/${f.ctx.repo}`, runId: run.run, shard: shardId(t.name, plan.id, shard.n), issue: shard.issue?.number, pr: run.pr?.number });
}
/** Merged shard branches are deleted once the collect is recorded (a later collect finishes what an interrupted one left). */
async function deleteMergedBranches(f, t, state) {
    const { git, log } = f.ports;
    const merged = state.plans.flatMap((p) => p.shards.filter((s) => !s.issue && s.outcome?.merged).map((s) => shardBranchOf(t.name, p.id, s.n)));
    if (merged.length === 0)
        return;
    const listed = await git.run(['ls-remote', '--heads', 'origin', ...merged.map((b) => `refs/heads/${b}`)], { env: f.credentials.auth, allowFailure: true });
    const present = listed.stdout.split('\n').map((l) => l.split('\t')[1]).filter(Boolean);
    if (present.length === 0)
        return;
    const deleted = await git.run(['push', '--no-verify', 'origin', ...present.map((r) => `:${r}`)], { env: f.credentials.auth, allowFailure: true });
    if (deleted.exitCode === 0)
        log.info(`Deleted ${present.length} merged shard branch${present.length === 1 ? '' : 'es'}.`);
    else
        log.warn(`The merged shard branches could not be deleted: ${f.redactor.redact(deleted.stderr.trim())}`);
}

// EXTERNAL MODULE: ./src/config/settings.ts + 2 modules
var config_settings = __webpack_require__(71610);
// EXTERNAL MODULE: ./src/run/run-agent.ts + 13 modules
var run_agent = __webpack_require__(17363);
// EXTERNAL MODULE: ./src/run/run-taskcap.ts + 4 modules
var run_taskcap = __webpack_require__(14957);
// EXTERNAL MODULE: ./src/publish/revert-work-tree.ts
var revert_work_tree = __webpack_require__(45184);
// EXTERNAL MODULE: ./src/tools/output-cap.ts
var output_cap = __webpack_require__(34823);
// EXTERNAL MODULE: ./src/fanout/fanout-spec.ts
var fanout_spec = __webpack_require__(36534);
;// CONCATENATED MODULE: ./src/fanout/work-list.ts





/** How long a `units.command` may take, and how much it may print. */
const COMMAND_TIMEOUT_MS = 5 * 60_000;
const COMMAND_OUTPUT_BYTES = 32 * 1024 * 1024;
/** A unit is one line of plain text: no control characters, not too long. */
const isUnit = (s) => s.length > 0 && s.length <= fanout_spec/* MAX_UNIT_LENGTH */.bx && !/[\u0000-\u001f\u007f]/.test(s);
function tidy(lines) {
    const trimmed = lines.map((l) => l.trim()).filter(Boolean);
    const units = [...new Set(trimmed.filter(isUnit))].sort();
    return { units, rejected: trimmed.length - trimmed.filter(isUnit).length };
}
/** Pathspecs for git: the globs (git's `**` rules), minus the excludes. */
const pathspecs = (source) => [...source.files.map((g) => `:(glob)${g}`), ...source.exclude.map((g) => `:(glob,exclude)${g}`)];
/**
 * The work list of a migration, computed against the checked-out commit, cheaply and deterministically: git's own
 * file list (and `git grep` for `containing`), or the lines a command prints. No model call.
 */
async function findUnits(source, where) {
    const { git } = where;
    if (source.kind === 'files') {
        if (source.containing === undefined) {
            const listed = await git.run(['ls-files', '-z', '--', ...pathspecs(source)]);
            return tidy(listed.stdout.split('\0'));
        }
        // Exit 1 is "no file contains it": an empty work list, not an error.
        const grep = await git.run(['grep', '-l', '-z', '-F', '--no-color', '-e', source.containing, '--', ...pathspecs(source)], { allowFailure: true });
        if (grep.exitCode > 1)
            throw new Error(`git grep failed (exit ${grep.exitCode}): ${grep.stderr.trim()}`);
        return tidy(grep.stdout.split('\0'));
    }
    return tidy((await runUnitsCommand(source.command, where)).split('\n'));
}
/** The maintainers' `units.command`, run like the test command: in the sandbox, with nothing of the step's secrets. */
async function runUnitsCommand(command, { git, ports, task }) {
    const home = (0,workbench/* createAgentHome */.xk)();
    const sandbox = await ports.makeShell({ workspace: git.dir, agentHome: home });
    try {
        const r = await sandbox.shell.run({
            command,
            cwd: git.dir,
            root: git.dir,
            env: (0,workbench/* agentEnvironment */.FV)(git.dir, sandbox.shell.home ?? home),
            timeoutMs: COMMAND_TIMEOUT_MS,
            maxOutputBytes: COMMAND_OUTPUT_BYTES,
            signal: ports.cancel,
        });
        const tail = (0,output_cap/* plainTerminalText */.mm)(r.output).split('\n').slice(-10).join('\n');
        if (r.timedOut)
            throw new errors/* UserError */.yo(`tasks.${task}.units.command did not finish within ${COMMAND_TIMEOUT_MS / 60_000} minutes. Make it faster, or list the units with units.files.`);
        if (r.exitCode !== 0)
            throw new errors/* UserError */.yo(`tasks.${task}.units.command exited ${r.exitCode ?? 'on a signal'}; it must print one unit per line and exit 0. Its output ended with:\n${tail}`);
        if (r.totalBytes > COMMAND_OUTPUT_BYTES)
            throw new errors/* UserError */.yo(`tasks.${task}.units.command printed more than ${COMMAND_OUTPUT_BYTES / 1024 / 1024} MB; print one unit per line, nothing else.`);
        return r.output;
    }
    finally {
        await sandbox.dispose();
        external_node_fs_default().rmSync(home, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./src/fanout/discover-units.ts










/** The one fenced block the discovery answer must contain: ```units … ``` */
const UNITS_BLOCK = /^```units[ \t]*\n([\s\S]*?)\n```[ \t]*$/gm;
/**
 * Parse the discovery answer strictly: exactly one ```units block, one unit per line, every line a unit, at most
 * `max` of them. Anything else is an error that says what was wrong, never a guess.
 */
function parseDiscovered(answer, max) {
    const blocks = [...answer.matchAll(UNITS_BLOCK)];
    if (blocks.length !== 1)
        throw new errors/* UserError */.yo(`The discovery pass must answer with exactly one \`\`\`units block (one unit per line); its answer had ${blocks.length}.`);
    const lines = blocks[0][1].split('\n').map((l) => l.replace(/^\s*[-*]\s+/, '').trim()).filter(Boolean);
    const bad = lines.find((l) => !isUnit(l));
    if (bad !== undefined)
        throw new errors/* UserError */.yo(`The discovery pass listed a line that is not a unit (${bad.length} characters, or a control character): '${bad.slice(0, 80)}'.`);
    if (lines.length > max)
        throw new errors/* UserError */.yo(`The discovery pass listed ${lines.length} units, more than units.max (${max}). Narrow the prompt or raise units.max.`);
    return [...new Set(lines)].sort();
}
/**
 * `units: { discover: true }`: one capped, read-only explore pass with the task's prompt whose answer is the work
 * list. Its spend comes out of the plan's pool (the caller subtracts it) and is returned for the ledger.
 */
async function discoverUnits(f, t, source) {
    const { ports, ctx, config } = f;
    const setup = await (0,run_taskcap/* settle */.G9)(config, ['explore'], { ...f.inputs, testCommand: undefined }, ctx, ports, f.redactor, ports.clock.now());
    const settings = (0,config_settings/* resolveSettings */.Mo)('explore', config, f.inputs, setup.provider);
    const task = {
        key: `task-${t.name}-discover`,
        className: 'explore',
        spec: config.classes.explore,
        budget: source.budget,
        goal: `${t.task.prompt}\n\nDo not change any file. First find every unit of work this task applies to (usually file paths relative to the repository root). Your final reply must contain exactly one fenced block opened with \`\`\`units, one unit per line, nothing else in it.`,
        title: `taskcap: discover ${t.name}`,
        data: [],
        target: { kind: 'scheduled', name: t.name },
        branch: taskBranchOf(t.name),
        baseBranch: f.defaultBranch,
        ownsPull: false,
        branchOnly: true,
    };
    const agentHome = (0,workbench/* createAgentHome */.xk)();
    const sandbox = await ports.makeShell({ workspace: ports.git.dir, agentHome });
    const prepared = {
        ready: true,
        sandbox,
        agentHome,
        branch: { branch: f.defaultBranch, startSha: '', continued: false },
        history: [],
        progressBase: { className: 'explore', budget: source.budget, model: settings.model.id, runUrl: '', history: [] },
        model: ports.makeModel(setup.provider, settings.model, (secret) => setup.redactor.add(secret)),
        // The pass explores the tree itself: no repository context block.
        context: Promise.resolve(undefined),
        dispose: () => sandbox.dispose(),
    };
    // The same guard as any run: credentials out of reach, .git/config and hooks put back before taskcap's git runs.
    const guard = await (0,workspace_guard/* guardWorkspace */.t)(ports.git, setup.credentials, ctx.serverUrl, setup.provider.vault);
    const repo = await (0,publish_repo/* openPublishRepo */.wV)(ports.git);
    try {
        const before = await (0,revert_work_tree/* snapshotWorkTree */.O)(repo, await ports.git.output(['rev-parse', 'HEAD']));
        const work = await (0,run_agent/* runAgent */.J)(task, settings, prepared, setup);
        guard.restoreGitDir();
        // Whatever the pass did to the checkout is undone (from taskcap's own repository, no git in the workspace): the
        // work list is read, not made.
        await (0,revert_work_tree/* revertSince */.$)(repo, before);
        const spent = { loopTokens: work.loop?.meter.loopTokens ?? 0, costUsd: work.loop?.meter.costUsd ?? 0 };
        if (!work.loop?.summary)
            throw new errors/* UserError */.yo(`The discovery pass of tasks.${t.name} ended without an answer (${work.loop?.endReason ?? 'it failed'}); raise units.discover-budget or list the units with units.files.`);
        return { units: parseDiscovered(work.loop.summary, t.task.fanout.maxUnits), rejected: 0, spent };
    }
    finally {
        repo.dispose();
        await guard.release();
        await prepared.dispose();
    }
}

// EXTERNAL MODULE: ./src/config/config.ts
var config_config = __webpack_require__(81122);
// EXTERNAL MODULE: ./src/trigger/command.ts
var command = __webpack_require__(52773);
;// CONCATENATED MODULE: ./src/fanout/sweep.ts




/** A sweep unit is an issue: `#12`. */
const issueUnit = (n) => `#${n}`;
const issueOfUnit = (unit) => Number(unit.slice(1));
/** The live receipt's heading while a run works on the issue. */
const WORKING = /^### ⏳ Working/m;
/**
 * The open issues carrying the sweep label, oldest first, each checked as a labeled issue would be: its class from
 * its labels (the task's class when none), a `budget:` label, and the permission of whoever added the sweep label.
 * Issues with an open taskcap PR or a run at work on them are left out, with the reason. Stops looking once `enough`
 * candidates are found.
 */
async function sweepCandidates(spec, defaultClass, enough, w) {
    const { github, config } = w;
    const [issues, pulls] = await Promise.all([github.listOpenIssues(spec.label), github.listOpenPulls()]);
    const own = `${github.owner}/${github.repo}`;
    const openPull = new Map(pulls.filter((p) => p.headRepo === own && /^taskcap\/issue-\d+$/.test(p.headRef)).map((p) => [Number(p.headRef.slice('taskcap/issue-'.length)), p.number]));
    const candidates = [];
    const skipped = [];
    for (const issue of issues) {
        if (candidates.length >= enough)
            break;
        const unit = issueUnit(issue.number);
        const pr = openPull.get(issue.number);
        if (pr !== undefined) {
            skipped.push({ unit, reason: `has an open taskcap pull request (#${pr})` });
            continue;
        }
        const receipt = await (0,receipt_comment/* findReceipt */.QI)(github, issue.number);
        if (receipt && WORKING.test(receipt.body)) {
            skipped.push({ unit, reason: 'a taskcap run is working on it' });
            continue;
        }
        const className = issue.labels.map((l) => config.labels[l]).find(Boolean) ?? defaultClass;
        const budgetLabel = (0,command/* findBudgetLabel */.v2)(issue.labels);
        const budget = budgetLabel ? (0,command/* overrideBudget */.Ud)(`Label '${budgetLabel}'`, budgetLabel.slice('budget:'.length), (0,config_config/* budgetCeiling */.V)(config)) : undefined;
        if (budget && budget.kind !== 'go') {
            skipped.push({ unit, reason: budget.reason });
            continue;
        }
        const actor = await github.labeledBy(issue.number, spec.label);
        if (!actor) {
            skipped.push({ unit, reason: `no record of who added the label '${spec.label}'` });
            continue;
        }
        const verdict = await (0,gate/* checkPermission */.Y)(github, { sender: actor, allowedBots: w.allowedBots });
        if (verdict.kind !== 'go') {
            skipped.push({ unit, reason: `labeled by ${actor.login}: ${verdict.reason}` });
            continue;
        }
        candidates.push({ unit, issue, className, budget: budget?.value ?? config.classes[className].budget, actor: actor.login });
    }
    return { candidates, skipped };
}

;// CONCATENATED MODULE: ./src/fanout/plan-mode.ts














/**
 * `mode: plan`: the work list against the default branch, minus what is done or in progress, split into shards
 * with budget shares inside the pool, recorded on the ledger branch; the matrix carries only the shard ids.
 * A re-run of the same workflow run gets its plan back, never a second one.
 */
async function runPlanMode(inputs, ctx, ports) {
    const opened = await openFanout(inputs, ctx, ports);
    if (opened.kind !== 'go')
        return { status: opened.kind === 'skip' ? 'skipped' : 'refused', reason: opened.reason, outputs: { matrix: '{"shard":[]}', shards: '0' } };
    const f = opened.value;
    const ids = [];
    const summaries = [];
    const plans = [];
    for (const t of f.tasks) {
        const { plan, summary } = await planTask(f, t);
        summaries.push(summary);
        if (plan) {
            plans.push(`${t.name}/${plan.id}`);
            ids.push(...plan.shards.map((s) => shardId(t.name, plan.id, s.n)));
        }
    }
    // Only ids: GitHub limits a job's outputs, and the shards read their units from the plan itself.
    ports.log.info(`Plan: ${ids.length} shard${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}.`);
    return { status: 'completed', outputs: { matrix: JSON.stringify({ shard: ids }), shards: String(ids.length), plan: plans.join(',') }, summary: summaries.join('\n\n') };
}
async function planTask(f, t) {
    const { ports, credentials, ctx } = f;
    const { git, clock, log } = ports;
    const spec = t.task.fanout;
    const now = new Date(clock.now()).toISOString();
    const cap = (0,config_settings/* monthlyCapOf */.bs)(f.config, f.inputs);
    if (cap !== undefined) {
        const spent = (0,ledger/* monthToDateCost */.ZI)((0,ledger/* parseLedger */.h8)(await (0,ledger_store/* readLedger */.SC)(git, credentials.auth)), now);
        if (spent >= cap) {
            const note = `⛔ This month's taskcap spend is ${(0,format/* formatUsd */.UK)(spent)}, which has reached the monthly cap of ${(0,format/* formatUsd */.UK)(cap)} (max-monthly-cost-usd): no shard is planned.`;
            log.warn(note);
            const state = await updateState(git, credentials.auth, clock, t.name, t.kind, () => false);
            return { summary: renderPlanSummary({ task: t.name, progress: progressOf(state, spec.pool), pool: spec.pool, note, reused: false }) };
        }
    }
    // Read-only work first (git, the units command, GitHub): the state change below must be a pure function.
    let workList;
    let sweep;
    let note;
    let discovery;
    const made = planOfRun(await readState(git, credentials.auth, t.name, t.kind), ctx.runId);
    if (made) {
        // A re-run of this run's plan job: the plan it made (nothing listed or spent again); none once it is collected.
        const state = await readState(git, credentials.auth, t.name, t.kind);
        const note = made.collected ? `This run's plan ${made.id} was already collected: nothing more to do in this run (the next run continues).` : undefined;
        return { plan: made.collected ? undefined : made, summary: renderPlanSummary({ task: t.name, plan: made.collected ? undefined : made, progress: progressOf(state, spec.pool), pool: spec.pool, reused: true, note }) };
    }
    if (spec.sweep) {
        sweep = await sweepCandidates(spec.sweep, t.task.class, spec.sweep.maxIssues * 2, { github: ports.github, config: f.config, allowedBots: f.inputs.allowedBots });
    }
    else if (spec.units) {
        let found;
        if (spec.units.kind === 'discover') {
            const discovered = await discoverUnits(f, t, spec.units);
            discovery = discovered.spent;
            found = discovered;
        }
        else
            found = await findUnits(spec.units, { git, ports, task: t.name });
        if (found.rejected)
            note = `${found.rejected} line${found.rejected === 1 ? ' was' : 's were'} not a unit (too long, or with control characters) and left out.`;
        workList = found.units;
        log.info(`Work list of ${t.name}: ${workList.length} units.`);
    }
    else
        throw new errors/* UserError */.yo(`tasks.${t.name} has neither units nor sweep.`);
    let plan;
    let reused = false;
    const state = await updateState(git, credentials.auth, clock, t.name, t.kind, (state) => {
        const before = JSON.stringify(state);
        const earlier = planOfRun(state, ctx.runId);
        reused = earlier !== undefined;
        if (earlier) {
            plan = earlier.collected ? undefined : earlier;
            return false;
        }
        let wishes;
        let skipped = [];
        if (sweep) {
            const listed = sweep.candidates.map((c) => c.unit);
            syncWorkList(state, listed, now);
            skipped = [...sweep.skipped];
            const eligible = [];
            for (const c of sweep.candidates) {
                const u = state.units[c.unit];
                // An issue labeled again after its PR was closed is worked again, as a new label would.
                if (u.status === 'done')
                    state.units[c.unit] = { status: 'pending', attempts: 0 };
                const unitNow = state.units[c.unit];
                if (unitNow.status === 'in-progress')
                    skipped.push({ unit: c.unit, reason: `already in plan ${unitNow.plan}, not collected yet` });
                else if (!retryable(unitNow, spec.shard.maxAttempts))
                    skipped.push({ unit: c.unit, reason: `parked after ${unitNow.attempts} attempts: ${unitNow.reason ?? ''}` });
                else
                    eligible.push(c);
            }
            wishes = eligible.slice(0, spec.sweep.maxIssues).map((c) => ({ units: [c.unit], budget: c.budget, issue: { number: c.issue.number, className: c.className, actor: c.actor } }));
        }
        else {
            syncWorkList(state, workList, now);
            const eligible = eligibleUnits(state, workList, spec.shard.maxAttempts).slice(0, spec.maxUnits);
            wishes = [];
            for (let i = 0; i < eligible.length && wishes.length < spec.shard.maxShards; i += spec.shard.size) {
                wishes.push({ units: eligible.slice(i, i + spec.shard.size), budget: spec.shard.budget });
            }
        }
        // The discovery pass spent from this run's pool: the shards share what is left.
        const pool = discovery ? poolLeft(spec.pool, discovery) : spec.pool;
        const shards = shareThePool(wishes, pool);
        if (shards.length)
            plan = addPlan(state, shards, { run: ctx.runId, at: now, pool, skipped });
        if (discovery) {
            state.spent = { runs: state.spent.runs + 1, loopTokens: state.spent.loopTokens + discovery.loopTokens, costUsd: Math.round((state.spent.costUsd + discovery.costUsd) * 1e8) / 1e8 };
            const outcome = { ...(0,run_outcome/* emptyOutcome */.we)('completed'), className: 'explore', loopTokens: discovery.loopTokens, costUsd: discovery.costUsd };
            return { ledger: [(0,ledger/* ledgerEntry */.ay)(outcome, { at: now, repository: `${ctx.owner}/${ctx.repo}`, runId: f.runKey, shard: `${t.name}/discover` })] };
        }
        return JSON.stringify(state) === before ? false : {};
    });
    if (plan && t.kind === 'migration')
        await ensureTaskBranch(f, taskBranchOf(t.name));
    return { plan, summary: renderPlanSummary({ task: t.name, plan, progress: progressOf(state, spec.pool), pool: spec.pool, note, reused }) };
}
function poolLeft(pool, spent) {
    const tokens = Math.max(0, pool.tokens - spent.loopTokens);
    return pool.maxCostUsd === undefined ? { tokens } : { tokens, maxCostUsd: Math.max(0, Math.floor((pool.maxCostUsd - spent.costUsd) * 1e6) / 1e6) };
}
/**
 * The task branch is the migration's trunk: shards start from it and collect merges into it. Made once, at the
 * default branch's tip (a lease on "no such branch": a racing plan that made it first wins, which is the same).
 */
async function ensureTaskBranch(f, branch) {
    const { git } = f.ports;
    const pushed = await git.run(['push', '--no-verify', `--force-with-lease=refs/heads/${branch}:`, 'origin', `HEAD:refs/heads/${branch}`], { env: f.credentials.auth, allowFailure: true });
    if (pushed.exitCode === 0)
        f.ports.log.info(`Made ${branch} at the default branch's tip.`);
}

// EXTERNAL MODULE: ./src/publish/branch.ts
var branch = __webpack_require__(61571);
// EXTERNAL MODULE: ./src/run/spend-guard.ts
var spend_guard = __webpack_require__(52577);
// EXTERNAL MODULE: ./src/run/work-on-task.ts + 9 modules
var work_on_task = __webpack_require__(53754);
// EXTERNAL MODULE: ./src/trigger/build-task.ts
var build_task = __webpack_require__(83836);
;// CONCATENATED MODULE: ./src/fanout/shard-mode.ts
















const stop = (status, reason) => ({ status, reason, outputs: {} });
/**
 * `mode: shard` (one matrix job): the normal capped run of a task whose text is the shard's units and whose budget
 * is what is left of the shard's share; its work goes to its own branch (a sweep shard: the issue's branch and PR,
 * exactly as a labeled issue). The run is recorded in the state and the ledger. A shard that fails or stops at its
 * cap is recorded like any other and the step stays green: its units go back to the pool at collect, and its
 * siblings never notice.
 */
async function runShardMode(inputs, ctx, ports) {
    if (!inputs.shard)
        throw new errors/* UserError */.yo("mode: shard needs the 'shard' input: pass the matrix value, `shard: ${{ matrix.shard }}`.");
    const id = parseShardId(inputs.shard);
    if (inputs.task && inputs.task !== id.task)
        throw new errors/* UserError */.yo(`Input 'task' is '${inputs.task}' but the shard '${inputs.shard}' belongs to task '${id.task}'. Leave 'task' empty in the shard job.`);
    const opened = await openFanout(inputs, ctx, ports, id.task);
    if (opened.kind !== 'go')
        return stop(opened.kind === 'skip' ? 'skipped' : 'refused', opened.reason);
    const f = opened.value;
    const t = f.tasks[0];
    const { git, log } = ports;
    const state = await readState(git, f.credentials.auth, t.name, t.kind);
    const plan = state.plans.find((p) => p.id === id.plan);
    const shard = plan?.shards.find((s) => s.n === id.n);
    if (!plan || !shard)
        return stop('skipped', `shard ${inputs.shard} is not in the state of task ${t.name} (its plan was collected long ago, or the task was started over)`);
    const why = nothingToDo(plan, shard, f.runKey);
    if (why) {
        log.info(`Shard ${inputs.shard}: nothing to do: ${why}.`);
        return stop('skipped', why);
    }
    const left = shareLeft(shard);
    const cap = (0,config_settings/* monthlyCapOf */.bs)(f.config, inputs);
    const className = shard.issue?.className ?? t.task.class;
    const setup = await (0,run_taskcap/* settle */.G9)(f.config, [className], inputs, ctx, ports, f.redactor, ports.clock.now());
    if (cap !== undefined) {
        const spent = await (0,spend_guard/* spentThisMonth */.Nz)(setup);
        if (spent >= cap)
            return stop('refused', `this month's taskcap spend is ${(0,format/* formatUsd */.UK)(spent)}, which has reached the monthly cap of ${(0,format/* formatUsd */.UK)(cap)} (max-monthly-cost-usd)`);
    }
    const built = shard.issue ? await issueTask(f, t, shard, left) : await migrationTask(f, t, plan, shard, left);
    if (built.kind !== 'go')
        return stop(built.kind, built.reason);
    const { task, base } = built;
    log.info(`Shard ${inputs.shard}: ${shard.units.length} unit${shard.units.length === 1 ? '' : 's'}, ${(0,format/* formatInt */.Dw)(left.tokens)} tokens left of its ${(0,format/* formatInt */.Dw)(shard.budget)} share${left.costUsd !== undefined ? `, ${(0,format/* formatUsd */.UK)(left.costUsd)} of dollars` : ''}.`);
    const result = await (0,work_on_task/* workOnTask */.O)(task, setup);
    const record = (0,run_taskcap/* recordOf */.zv)(result, ctx);
    const commit = await (0,branch/* remoteTip */.W_)(git, task.branch, f.credentials.auth);
    const outcome = result.outcome;
    const unitsDone = shard.issue ? (outcome.pr ? [...shard.units] : []) : await unitsDoneBy(git, t.task.fanout.units, shard.units, base, outcome, commit);
    const run = {
        run: f.runKey,
        url: (0,runner_context/* runUrl */.V)(ctx),
        at: record.endedAt ?? new Date(ports.clock.now()).toISOString(),
        status: outcome.status,
        loopTokens: record.totals.loopTokens,
        billed: {
            input: record.totals.billed.input,
            cacheWrite: record.totals.billed.cacheWrite5m + record.totals.billed.cacheWrite1h,
            cacheRead: record.totals.billed.cacheRead,
            output: record.totals.billed.output,
        },
        costUsd: record.totals.costUsd,
        turns: record.totals.turns,
        ...(commit ? { commit } : {}),
        ...(outcome.tests ? { testsPassed: outcome.tests.passed } : {}),
        ...(outcome.reason ? { reason: f.redactor.redact(outcome.reason).slice(0, 500) } : {}),
        unitsDone,
        ...(outcome.pr ? { pr: { number: outcome.pr.number, url: outcome.pr.url } } : {}),
    };
    const entry = (0,ledger/* ledgerEntry */.ay)(outcome, {
        at: run.at,
        repository: `${ctx.owner}/${ctx.repo}`,
        runId: f.runKey,
        shard: inputs.shard,
        issue: shard.issue?.number,
    });
    await updateState(git, f.credentials.auth, ports.clock, t.name, t.kind, (s) => (addShardRun(s, plan.id, shard.n, run) ? { ledger: [entry] } : false));
    log.info(`Shard ${inputs.shard}: ${outcome.status}, ${unitsDone.length} of ${shard.units.length} units done; recorded on taskcap/ledger.`);
    return { status: outcome.status, reason: outcome.reason, outputs: {}, run: { outcome, record, redactor: f.redactor } };
}
/** A shard that must not run again: its plan is collected, or it already delivered, or its share is spent. */
function nothingToDo(plan, shard, runKey) {
    if (plan.collected)
        return `plan ${plan.id} was already collected`;
    if (shard.runs.some((r) => r.run === runKey))
        return 'this job already ran it';
    const last = shard.runs[shard.runs.length - 1];
    if (last?.pr)
        return `it already opened pull request #${last.pr.number}`;
    if (last && last.status === 'completed' && last.commit && last.testsPassed !== false)
        return `run ${last.run} already finished it`;
    const left = shareLeft(shard);
    if (left.tokens < classes/* MIN_BUDGET */.nT)
        return `its budget share is spent (${(0,format/* formatInt */.Dw)(shard.budget - left.tokens)} of ${(0,format/* formatInt */.Dw)(shard.budget)} tokens by earlier attempts)`;
    if (left.costUsd !== undefined && left.costUsd <= 0)
        return 'its share of the pool’s dollars is spent';
    return undefined;
}
/** A sweep shard: the issue, exactly as if its labeler had just labeled it (the gate applied to them again). */
async function issueTask(f, t, shard, left) {
    const { github, log } = f.ports;
    const { number, className, actor } = shard.issue;
    const verdict = await (0,gate/* checkPermission */.Y)(github, { sender: { login: actor }, allowedBots: f.inputs.allowedBots });
    if (verdict.kind !== 'go')
        return { kind: 'refused', reason: `issue #${number} was labeled by ${actor}: ${verdict.reason}` };
    const issue = await github.getIssue(number);
    if (issue.state !== 'open')
        return { kind: 'skipped', reason: `issue #${number} is ${issue.state}` };
    const trigger = {
        kind: 'issue-label',
        issue: { number, title: issue.title, body: issue.body, author: issue.author, state: issue.state, labels: issue.labels, isPull: false },
        label: t.task.fanout.sweep.label,
        sender: { login: actor },
    };
    const built = await (0,build_task/* buildTask */.I)({ trigger, className, budget: left.tokens }, { github, config: f.config, defaultBranch: f.defaultBranch, log });
    if (built.kind !== 'go')
        return { kind: built.kind === 'refuse' ? 'refused' : 'skipped', reason: built.reason };
    return { kind: 'go', task: { ...built.value, ...(left.costUsd !== undefined ? { maxCostUsd: left.costUsd } : {}) } };
}
/** A migration shard: its units as the task text, its own branch, starting from the task branch (the merged work). */
async function migrationTask(f, t, plan, shard, left) {
    const { git } = f.ports;
    const trunk = taskBranchOf(t.name);
    const fetched = await git.run(['fetch', '--no-tags', '--depth=1', 'origin', `+refs/heads/${trunk}:refs/remotes/origin/${trunk}`], { env: f.credentials.auth, allowFailure: true });
    if (fetched.exitCode === 0)
        await git.run(['checkout', '--force', '--detach', `refs/remotes/origin/${trunk}`]);
    const base = await git.output(['rev-parse', 'HEAD']);
    const units = shard.units;
    const task = {
        key: `task-${t.name}-${plan.id}-${shard.n}`,
        className: t.task.class,
        spec: f.config.classes[t.task.class],
        budget: left.tokens,
        goal: `${t.task.prompt}\n\nThis is shard ${shard.n} of plan ${plan.id} of a larger migration: work only on the ${units.length} unit${units.length === 1 ? '' : 's'} listed below as data (one per line); other shards do the rest in parallel, so change other files only where a unit needs it. ` +
            'When you finish, end your summary with a line "Units done:" followed by each unit you completed, one per line as "- <unit>".',
        title: `taskcap: ${t.name} (plan ${plan.id}, shard ${shard.n})`,
        data: [{ source: `the units of shard ${shard.n}, from the work list`, text: units.join('\n') }],
        target: { kind: 'scheduled', name: t.name },
        branch: shardBranchOf(t.name, plan.id, shard.n),
        baseBranch: fetched.exitCode === 0 ? trunk : f.defaultBranch,
        ownsPull: false,
        branchOnly: true,
        ...(left.costUsd !== undefined ? { maxCostUsd: left.costUsd } : {}),
    };
    return { kind: 'go', task, base };
}
/** The lines under "Units done:" in a summary that name one of `units`. */
function unitsListedDone(summary, units) {
    const m = /^\s*\**units done:?\**\s*$/im.exec(summary ?? '');
    if (!m)
        return [];
    const listed = new Set();
    for (const line of (summary ?? '').slice(m.index + m[0].length).split('\n').slice(1)) {
        const item = /^\s*[-*]\s+`?(.+?)`?\s*$/.exec(line);
        if (!item) {
            if (line.trim() === '')
                continue;
            break;
        }
        listed.add(item[1]);
    }
    return units.filter((u) => listed.has(u));
}
/**
 * Which of the shard's units its work finished, checked rather than taken on trust where it can be: a `containing`
 * unit is done when its file no longer contains the text (or is gone); another file unit when the shard completed
 * (tests passing) or changed it; a command unit when the shard completed or the summary lists it.
 */
async function unitsDoneBy(git, source, units, base, outcome, commit) {
    if (!commit)
        return [];
    const finished = outcome.status === 'completed' && outcome.tests?.passed !== false;
    if (source.kind === 'files') {
        if (source.containing !== undefined) {
            const done = [];
            for (const unit of units) {
                const file = await git.run(['cat-file', '-p', `${commit}:${unit}`], { allowFailure: true });
                if (file.exitCode !== 0 || !file.stdout.includes(source.containing))
                    done.push(unit);
            }
            return done;
        }
        if (finished)
            return [...units];
        const changed = base ? new Set((await git.run(['diff', '--name-only', '-z', base, commit], { allowFailure: true })).stdout.split('\0')) : new Set();
        return units.filter((u) => changed.has(u));
    }
    return finished ? [...units] : unitsListedDone(outcome.summaryIsFallback ? undefined : outcome.summary, units);
}

;// CONCATENATED MODULE: ./src/fanout/fanout-modes.ts





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

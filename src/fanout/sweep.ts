import { budgetCeiling, type TaskcapConfig } from '../config/config.js';
import type { GitHub, OpenIssue } from '../github/github.js';
import { findReceipt } from '../publish/receipt-comment.js';
import { findBudgetLabel, overrideBudget } from '../trigger/command.js';
import { checkPermission } from '../trigger/gate.js';
import type { SweepSpec } from './fanout-spec.js';

/** A sweep unit is an issue: `#12`. */
export const issueUnit = (n: number) => `#${n}`;
export const issueOfUnit = (unit: string) => Number(unit.slice(1));

/** An issue a sweep may work on, with what a label on it would have asked for. */
export interface SweepCandidate {
  unit: string;
  issue: OpenIssue;
  className: string;
  budget: number;
  actor: string;
}

/** The live receipt's heading while a run works on the issue. */
const WORKING = /^### ⏳ Working/m;

/**
 * The open issues carrying the sweep label, oldest first, each checked as a labeled issue would be: its class from
 * its labels (the task's class when none), a `budget:` label, and the permission of whoever added the sweep label.
 * Issues with an open taskcap PR or a run at work on them are left out, with the reason. Stops looking once `enough`
 * candidates are found.
 */
export async function sweepCandidates(
  spec: SweepSpec,
  defaultClass: string,
  enough: number,
  w: { github: GitHub; config: TaskcapConfig; allowedBots: string[] },
): Promise<{ candidates: SweepCandidate[]; skipped: { unit: string; reason: string }[] }> {
  const { github, config } = w;
  const [issues, pulls] = await Promise.all([github.listOpenIssues(spec.label), github.listOpenPulls()]);
  const own = `${github.owner}/${github.repo}`;
  const openPull = new Map(pulls.filter((p) => p.headRepo === own && /^taskcap\/issue-\d+$/.test(p.headRef)).map((p) => [Number(p.headRef.slice('taskcap/issue-'.length)), p.number]));
  const candidates: SweepCandidate[] = [];
  const skipped: { unit: string; reason: string }[] = [];
  for (const issue of issues) {
    if (candidates.length >= enough) break;
    const unit = issueUnit(issue.number);
    const pr = openPull.get(issue.number);
    if (pr !== undefined) {
      skipped.push({ unit, reason: `has an open taskcap pull request (#${pr})` });
      continue;
    }
    const receipt = await findReceipt(github, issue.number);
    if (receipt && WORKING.test(receipt.body)) {
      skipped.push({ unit, reason: 'a taskcap run is working on it' });
      continue;
    }
    const className = issue.labels.map((l) => config.labels[l]).find(Boolean) ?? defaultClass;
    const budgetLabel = findBudgetLabel(issue.labels);
    const budget = budgetLabel ? overrideBudget(`Label '${budgetLabel}'`, budgetLabel.slice('budget:'.length), budgetCeiling(config)) : undefined;
    if (budget && budget.kind !== 'go') {
      skipped.push({ unit, reason: budget.reason });
      continue;
    }
    const actor = await github.labeledBy(issue.number, spec.label);
    if (!actor) {
      skipped.push({ unit, reason: `no record of who added the label '${spec.label}'` });
      continue;
    }
    const verdict = await checkPermission(github, { sender: actor, allowedBots: w.allowedBots });
    if (verdict.kind !== 'go') {
      skipped.push({ unit, reason: `labeled by ${actor.login}: ${verdict.reason}` });
      continue;
    }
    candidates.push({ unit, issue, className, budget: budget?.value ?? config.classes[className].budget, actor: actor.login });
  }
  return { candidates, skipped };
}

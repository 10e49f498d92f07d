/**
 * A scenario's steps, each done through the HTTP API as its caller would (a finding source posting,
 * a second person approving or rejecting, an operator resetting a rule, a restart), and checked
 * against what the step expects.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Decision, EventAnswer } from '#shared/automation/types.ts';
import { compareStates, readStates, shown, type States } from './compare.ts';
import { buildBody, fill, type Variables } from './event-body.ts';
import type { DecisionExpectation, Scenario, Step } from './scenario.ts';
import type { HttpAnswer, ServiceSession } from './session.ts';
import type { Target } from './targets.ts';

/** What the steps have seen so far. */
export interface StepContext {
  readonly session: ServiceSession;
  readonly scenario: Scenario;
  readonly variables: Variables;
  readonly targets: readonly Target[];
  readonly original: States;
  readonly eventIds: Set<string>;
  readonly findingIds: Set<string>;
  /**
   * What happened, in order, for the table: each decision's outcome, a refused post's status
   * (`400`), approvals decided (`approved by approver-2`), resets and restarts.
   */
  readonly outcomes: string[];
  readonly findingTypes: string[];
  readonly approvals: string[];
  readonly actionIds: Set<string>;
}

/** The action type a decision created (executed), planned (planned) or asked approval for. */
async function decisionActionType(session: ServiceSession, decision: Decision): Promise<string | null> {
  const [actionId] = decision.actionIds;
  if (actionId !== undefined) return (await session.action(actionId)).type;
  // A playbook rule's plan has no type of its own: the playbook's name stands for it.
  if (decision.plan !== null) return 'steps' in decision.plan ? decision.plan.playbook : decision.plan.type;
  if (decision.approvalId !== null) {
    const approval = await session.approval(decision.approvalId);
    return (approval.body as { request?: { type?: string } }).request?.type ?? null;
  }
  return null;
}

async function compareDecisions(where: string, session: ServiceSession, expected: readonly DecisionExpectation[], decisions: readonly Decision[]): Promise<string[]> {
  const mismatches: string[] = [];
  if (decisions.length !== expected.length) {
    mismatches.push(`${where}: expected ${expected.length} decisions (${expected.map((each) => each.outcome).join(', ')}), got ${decisions.length} (${decisions.map((each) => `${each.outcome}: ${each.reason}`).join('; ')})`);
  }
  for (const [index, expectation] of expected.entries()) {
    const decision = decisions[index];
    if (decision === undefined) continue;
    const at = `${where}: decision ${index + 1}`;
    if (decision.outcome !== expectation.outcome) mismatches.push(`${at}: outcome expected ${expectation.outcome}, got ${decision.outcome} (${decision.reason})`);
    if (expectation.ruleId !== undefined && decision.ruleId !== expectation.ruleId) mismatches.push(`${at}: ruleId expected ${expectation.ruleId}, got ${decision.ruleId}`);
    if (expectation.reason !== undefined && !decision.reason.includes(expectation.reason)) mismatches.push(`${at}: reason expected to contain ${shown(expectation.reason)}, got ${shown(decision.reason)}`);
    const type = await decisionActionType(session, decision);
    if (expectation.action !== undefined && type !== expectation.action) mismatches.push(`${at}: action expected ${expectation.action}, got ${type ?? 'none'}`);
    if (expectation.action === undefined && type !== null) mismatches.push(`${at}: expected no action, got ${type}`);
  }
  return mismatches;
}

async function post(step: Extract<Step, { post: string }>, where: string, context: StepContext): Promise<string[]> {
  const event = context.scenario.events[step.post];
  if (event === undefined) return [`${where}: no event named ${step.post}`];
  const { text } = await buildBody(event, context.variables);
  const answer = await context.session.postEvent(text);
  const mismatches: string[] = [];
  if (answer.status !== step.expect.status) mismatches.push(`${where}: expected ${step.expect.status}, got ${answer.status}: ${shown(answer.body)}`);
  if (answer.status !== 202) {
    context.outcomes.push(String(answer.status));
    if (step.expect.problemPaths !== undefined) mismatches.push(...problemMismatches(where, answer, step.expect.problemPaths));
    return mismatches;
  }
  const body = answer.body as EventAnswer;
  context.eventIds.add(body.eventId);
  const decisions = body.findings.flatMap((finding) => finding.decisions);
  for (const finding of body.findings) {
    context.findingIds.add(finding.findingId);
    context.findingTypes.push(finding.findingType);
  }
  for (const decision of decisions) {
    context.outcomes.push(decision.outcome);
    for (const id of decision.actionIds) context.actionIds.add(id);
    if (decision.approvalId !== null) context.approvals.push(decision.approvalId);
  }
  if (step.expect.decisions !== undefined) mismatches.push(...(await compareDecisions(where, context.session, step.expect.decisions, decisions)));
  return mismatches;
}

/** A refused request: problem+json whose `errors[].path` name exactly the fields given. */
function problemMismatches(where: string, answer: HttpAnswer, paths: readonly string[]): string[] {
  const mismatches: string[] = [];
  if (!answer.contentType.startsWith('application/problem+json')) mismatches.push(`${where}: content-type expected application/problem+json, got ${answer.contentType}`);
  const errors = (answer.body as { errors?: { path?: string }[] } | null)?.errors ?? [];
  const got = errors.map((error) => error.path ?? '').sort();
  if (!isDeepStrictEqual(got, [...paths].sort())) mismatches.push(`${where}: problem paths expected ${shown([...paths].sort())}, got ${shown(got)}`);
  return mismatches;
}

async function decide(kind: 'approve' | 'reject', as: string, expect: { status: number; approvalStatus: string }, where: string, context: StepContext): Promise<string[]> {
  const approvalId = context.approvals.at(-1);
  if (approvalId === undefined) return [`${where}: no decision so far named an approval to ${kind}`];
  const answer = kind === 'approve' ? await context.session.approve(approvalId, as) : await context.session.reject(approvalId, as);
  const mismatches: string[] = [];
  if (answer.status !== expect.status) mismatches.push(`${where}: expected ${expect.status}, got ${answer.status}: ${shown(answer.body)}`);
  // Read back whatever the answer was: a refused decision (409, 403) must leave the approval as it stood.
  const approval = (await context.session.approval(approvalId)).body as { status?: string; actionIds?: string[]; decidedBy?: string } | null;
  if (approval?.status !== expect.approvalStatus) mismatches.push(`${where}: approval status expected ${expect.approvalStatus}, got ${shown(approval?.status)}`);
  if (answer.status < 300 && approval?.decidedBy !== as) mismatches.push(`${where}: decidedBy expected ${as}, got ${shown(approval?.decidedBy)}`);
  for (const id of approval?.actionIds ?? []) context.actionIds.add(id);
  context.outcomes.push(answer.status < 300 ? `${kind === 'approve' ? 'approved' : 'rejected'} by ${as}` : `${kind} refused (${answer.status})`);
  return mismatches;
}

/** Each named rule's breaker as GET /v1/automation-rules shows it, against tripped or not. */
async function breakerMismatches(where: string, session: ServiceSession, expected: Readonly<Record<string, boolean>>): Promise<string[]> {
  const answer = await session.rulesInForce();
  const rules = (answer.body as { rules?: { id: string; state?: { tripped?: boolean } }[] } | null)?.rules ?? [];
  return Object.entries(expected).flatMap(([ruleId, tripped]) => {
    const state = rules.find((rule) => rule.id === ruleId)?.state;
    return state?.tripped === tripped ? [] : [`${where}: rule ${ruleId} breaker expected ${tripped ? 'tripped' : 'closed'}, got ${shown(state)}`];
  });
}

/** Waits (bounded) for every action seen so far to end, so state is read after the work, not during it. */
export async function settleAll(context: StepContext): Promise<void> {
  for (const record of await context.session.actions()) context.actionIds.add(record.id);
  for (const id of context.actionIds) await context.session.settled(id);
}

/** Runs one step; the differences from what it expects, each naming the step. */
export async function runStep(step: Step, index: number, context: StepContext): Promise<string[]> {
  if ('post' in step) return post(step, `step ${index + 1} (post ${step.post})`, context);
  if ('approve' in step) return decide('approve', step.approve.as, step.expect, `step ${index + 1} (approve)`, context);
  if ('reject' in step) return decide('reject', step.reject.as, step.expect, `step ${index + 1} (reject)`, context);
  if ('reset' in step) {
    const ruleId = String(fill(step.reset, context.variables));
    const answer = await context.session.resetRule(ruleId);
    context.outcomes.push('rule reset');
    return answer.status === step.expect.status ? [] : [`step ${index + 1} (reset ${ruleId}): expected ${step.expect.status}, got ${answer.status}: ${shown(answer.body)}`];
  }
  if ('restart' in step) {
    await context.session.restart();
    context.outcomes.push('restart');
    return [];
  }
  const where = `step ${index + 1} (check)`;
  await settleAll(context);
  const mismatches: string[] = [];
  if (step.check.state !== undefined) mismatches.push(...compareStates(where, step.check.state, await readStates(context.targets), context.original));
  if (step.check.tripped !== undefined) mismatches.push(...(await breakerMismatches(where, context.session, step.check.tripped)));
  if (step.check.actions !== undefined) {
    const records = await context.session.actions();
    if (records.length !== step.check.actions) {
      mismatches.push(`${where}: expected ${step.check.actions} action records, got ${records.length} (${records.map((record) => record.type).join(', ')})`);
    }
  }
  return mismatches;
}

/**
 * Runs one conformance scenario end to end: its targets created for real, the service started in
 * process with the scenario's rules, its steps through the HTTP API, then the action records, the
 * recorded decisions and the targets' state checked, every action undone, and the targets compared
 * with how they were before. `npm run conformance` and test/e2e/conformance.test.ts both call this.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { Environment } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { createMemberRoles, motoIamClient } from '#test/support/moto-iam.ts';
import { compareActions, compareStates, readStates, summarise, unchanged, type States } from './compare.ts';
import { fill } from './event-body.ts';
import type { Scenario } from './scenario.ts';
import { ServiceSession } from './session.ts';
import { runStep, settleAll, type StepContext } from './steps.ts';
import { createTarget, type Target, type TargetWorld } from './targets.ts';

/** moto_server, the account and region the scenarios' targets live in, and the member roles' settings. */
export interface ConformanceWorld extends TargetWorld {
  readonly memberRoleName: string;
  readonly externalId: string;
}

/** One row of the table: finding type → decision → action → end state → undo → back to the original. */
export interface Row {
  readonly scenario: string;
  readonly findingType: string;
  readonly decision: string;
  readonly action: string;
  readonly endState: string;
  readonly undo: string;
  readonly backToOriginal: '✔' | '✘' | '—';
}

export interface ScenarioOutcome {
  readonly row: Row;
  /** Every difference from what the scenario expects; empty when it conforms. */
  readonly mismatches: readonly string[];
}

/**
 * Points the SDK's standard settings at moto_server (cloud actions reach target accounts through
 * them, as with real AWS) and creates the member roles the service assumes there.
 */
export async function prepareWorld(motoEndpoint: string): Promise<ConformanceWorld> {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: motoEndpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  });
  delete process.env['AWS_PROFILE'];
  delete process.env['AWS_SESSION_TOKEN'];
  const world: ConformanceWorld = {
    motoEndpoint,
    accountId: '123456789012',
    region: 'us-east-1',
    memberRoleName: 'ConformanceMember',
    externalId: 'conformance-external-id',
  };
  const iam = motoIamClient(motoEndpoint);
  try {
    // Every cloud family's role, and the one exemption checks read tags through.
    await createMemberRoles(iam, world.memberRoleName, world.externalId, [...cloudActionFamilyDeployments.map((family) => family.name), 'exemptions']);
  } finally {
    iam.destroy();
  }
  return world;
}

/** The service's settings: only what the scenario sets, never the caller's own TARGET_ACCOUNTS or APPROVAL_REQUIRED. */
function serviceEnv(world: ConformanceWorld, rulesFile: string, scenario: Scenario, variables: Readonly<Record<string, string | number>>): Environment {
  const own = Object.fromEntries(Object.entries(scenario.env).map(([name, value]) => [name, String(fill(value, variables))]));
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    TARGET_ACCOUNTS: world.accountId,
    MEMBER_ROLE_NAME: world.memberRoleName,
    MEMBER_ROLE_EXTERNAL_ID: world.externalId,
    AUTOMATION_RULES: rulesFile,
    ...own,
  };
}

function describeStates(targets: readonly Target[], states: States, original: States): string {
  if (unchanged(states, original)) return 'unchanged';
  const described = targets.map((target) => ({ name: target.name, text: target.describe(states.get(target.name) ?? {}) }));
  return described.length === 1 ? (described[0]?.text ?? '') : described.map(({ name, text }) => `${name}: ${text}`).join('; ');
}

/** `isolate-ec2-instance Completed`, naming who approved an action that waited for a person. */
const actionCell = (records: readonly ActionRecord[]): string =>
  records
    .map((record) => {
      const approver = record.trigger?.approvedBy ?? null;
      return `${record.type} ${record.status}${approver === null ? '' : ` (approved by ${approver})`}`;
    })
    .join(', ') || 'none';

/** Runs the scenario; every difference from what it expects is in `mismatches`. */
export async function runScenario(world: ConformanceWorld, scenario: Scenario): Promise<ScenarioOutcome> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ra-conformance-data-'));
  const rulesDir = await mkdtemp(join(tmpdir(), 'ra-conformance-rules-'));
  const targets: Target[] = [];
  let session: ServiceSession | undefined;
  const mismatches: string[] = [];
  try {
    for (const [name, spec] of Object.entries(scenario.targets)) targets.push(await createTarget(world, name, spec));
    const host = Object.values(scenario.targets).some((spec) => spec.kind.startsWith('host-'));
    const variables = {
      accountId: world.accountId,
      region: world.region,
      hostname: hostname(),
      run: randomUUID().slice(0, 8),
      ...Object.assign({}, ...targets.map((target) => target.variables)),
    } as Readonly<Record<string, string | number>>;
    const rulesFile = join(rulesDir, 'rules.yaml');
    const rulesText = stringify({ rules: fill(scenario.rules, variables) });
    await writeFile(rulesFile, rulesText);
    const original = await readStates(targets);
    session = await ServiceSession.start({ dataDir, env: serviceEnv(world, rulesFile, scenario, variables), hostResponder: host });
    mismatches.push(...(await rulesNotInForce(session, rulesText, scenario)));
    if (host && session.hostname !== variables['hostname']) mismatches.push(`the host responder is ${session.hostname ?? 'absent'}, not ${String(variables['hostname'])}`);

    const context: StepContext = {
      session,
      scenario,
      variables,
      targets,
      original,
      eventIds: new Set(),
      findingIds: new Set(),
      outcomes: [],
      findingTypes: [],
      approvals: [],
      actionIds: new Set(),
    };
    for (const [index, step] of scenario.steps.entries()) mismatches.push(...(await runStep(step, index, context)));
    await settleAll(context);

    const records = await session.actions();
    const byName = new Map(targets.map((target) => [target.name, target]));
    mismatches.push(...compareActions(scenario.expect.actions, records, byName, String(variables['hostname']), context));
    const recorded = (await session.decisions()).map((decision) => decision.outcome).sort();
    if (!isDeepStrictEqual(recorded, [...scenario.expect.recorded].sort())) {
      mismatches.push(`recorded decisions (GET /v1/events): expected ${[...scenario.expect.recorded].sort().join(', ') || 'none'}, got ${recorded.join(', ') || 'none'}`);
    }
    const end = await readStates(targets);
    mismatches.push(...compareStates('end state', scenario.expect.state, end, original));

    const undone = scenario.expect.undo ? await undoEvery(session, records, mismatches) : [];
    const after = scenario.expect.undo ? await readStates(targets) : end;
    const back = scenario.expect.undo || records.length === 0 ? unchanged(after, original) : null;
    if (back === false) mismatches.push(`after undo: not back to the original: ${compareStates('after undo', Object.fromEntries(targets.map((target) => [target.name, 'unchanged' as const])), after, original).join('; ')}`);

    return {
      row: {
        scenario: scenario.name,
        findingType: [...new Set(context.findingTypes)].join(', ') || '— (event refused)',
        decision: summarise(context.outcomes),
        action: actionCell(records),
        endState: describeStates(targets, end, original),
        undo: scenario.expect.undo ? actionCell(undone) : '—',
        backToOriginal: back === null ? '—' : back ? '✔' : '✘',
      },
      mismatches,
    };
  } finally {
    await session?.close();
    for (const target of targets) await target.remove();
    await rm(dataDir, { recursive: true, force: true });
    await rm(rulesDir, { recursive: true, force: true });
  }
}

/** The service must act on exactly the scenario's rules file (GET /v1/automation-rules), not the shipped defaults. */
async function rulesNotInForce(session: ServiceSession, rulesText: string, scenario: Scenario): Promise<string[]> {
  const answer = await session.rulesInForce();
  const inForce = answer.body as { sha256?: string; origin?: string; rules?: { id: string }[] } | null;
  const ids = (inForce?.rules ?? []).map((rule) => rule.id);
  const wanted = scenario.rules.map((rule) => String(rule['id']));
  const sha256 = createHash('sha256').update(rulesText).digest('hex');
  if (answer.status === 200 && inForce?.origin === 'file' && inForce.sha256 === sha256 && isDeepStrictEqual(ids, wanted)) return [];
  return [`rules in force: expected the scenario's file (${wanted.join(', ')}, sha256 ${sha256}), got ${answer.status} ${JSON.stringify(inForce).slice(0, 300)}`];
}

/** Undoes every action that has an undo (newest first, as an operator unwinds), each to its end. */
async function undoEvery(session: ServiceSession, records: readonly ActionRecord[], mismatches: string[]): Promise<ActionRecord[]> {
  const undone: ActionRecord[] = [];
  for (const record of [...records].reverse()) {
    if (record.undo.type === null) continue;
    const answer = await session.undo(record.id);
    if (answer.status !== 202) {
      mismatches.push(`undo of ${record.type} ${record.id}: expected 202, got ${answer.status}: ${JSON.stringify(answer.body)}`);
      continue;
    }
    const undoId = await undoActionId(session, answer.body as ActionRecord | { approval: { id: string } });
    if (undoId === null) {
      mismatches.push(`undo of ${record.type} ${record.id}: its approval, approved by a second person, created no action`);
      continue;
    }
    const undo = await session.settled(undoId);
    if (undo.status !== 'Completed') mismatches.push(`undo ${undo.type} ${undo.id} ended ${undo.status}: ${JSON.stringify(undo.error)}`);
    undone.push(undo);
  }
  if (undone.length === 0) mismatches.push('undo: the scenario expects an undo, but no action has one');
  return undone.reverse();
}

/** The undo's action: created at once, or (a target APPROVAL_REQUIRED matches) once a second person approves it. */
async function undoActionId(session: ServiceSession, body: ActionRecord | { approval: { id: string } }): Promise<string | null> {
  if (!('approval' in body)) return body.id;
  const approved = await session.approve(body.approval.id, 'conformance-undo-approver');
  return (approved.body as { actionIds?: string[] } | null)?.actionIds?.[0] ?? null;
}

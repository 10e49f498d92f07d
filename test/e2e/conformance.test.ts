import { beforeAll, describe, expect, inject, it } from 'vitest';
import { decisionOutcomes } from '#shared/automation/types.ts';
import { prepareWorld, runScenario, type ConformanceWorld } from '../../scripts/conformance/run-scenario.ts';
import { loadScenarios, type Scenario } from '../../scripts/conformance/scenario.ts';
import { formatTable } from '../../scripts/conformance/table.ts';

/*
 * The conformance corpus (conformance/scenarios/*.yaml) through the same runner `npm run
 * conformance` uses: each scenario's targets created in moto_server or on this machine, the
 * service started in process with the scenario's rules and its host responder, the events posted
 * over HTTP, then the decisions, action records, recorded decisions and target state checked, every
 * action undone and the targets compared with how they were before.
 */

const scenarios = await loadScenarios();
let world: ConformanceWorld;

beforeAll(async () => {
  world = await prepareWorld(inject('motoEndpoint'));
});

const scenarioTimeoutMs = 240_000;

describe('the conformance corpus', () => {
  it('covers every source, every decision outcome the issue names, a refused body and an undo of each cloud family', () => {
    // Prepare
    const outcomes = new Set(scenarios.flatMap((scenario) => scenario.expect.recorded));
    const refusedBodies = scenarios.filter((scenario) => scenario.steps.some((step) => 'post' in step && step.expect.status === 400));
    const sources = new Set(scenarios.flatMap((scenario) => scenario.rules.map((rule) => (rule['match'] as { source: string }).source)));
    const undone = new Set(scenarios.filter((scenario) => scenario.expect.undo).flatMap((scenario) => scenario.expect.actions.map((action) => action.type)));
    const steps = new Set(scenarios.flatMap((scenario) => scenario.steps.flatMap((step) => Object.keys(step).filter((key) => key !== 'expect'))));

    // Assess
    expect([...sources].sort()).toEqual(['falco', 'guardduty', 'securityhub']);
    expect([...outcomes].sort()).toEqual([...decisionOutcomes].sort());
    expect(refusedBodies.length).toBeGreaterThan(0);
    expect([...undone].sort()).toEqual(['deactivate-access-keys', 'file-quarantine', 'iam-quarantine', 'isolate-ec2-instance', 'make-cloud-resource-private']);
    expect([...steps].sort()).toEqual(['approve', 'check', 'post', 'reject', 'reset', 'restart']);
  });

  it('reports a scenario whose expectations the service does not meet, naming what differed', async () => {
    // Prepare: the dry-run scenario, expected (wrongly) to have acted
    const dryRun = scenarios.find((scenario) => scenario.file === '09-dry-run.yaml');
    if (dryRun === undefined) throw new Error('09-dry-run.yaml is missing from the corpus');
    const wrong: Scenario = {
      ...dryRun,
      expect: { ...dryRun.expect, recorded: ['executed'], state: { user: { accessKeys: ['Inactive'] } } },
    };

    // Act
    const outcome = await runScenario(world, wrong);

    // Assess
    expect(outcome.mismatches).toEqual([
      'recorded decisions (GET /v1/events): expected executed, got planned',
      'end state: user.accessKeys expected ["Inactive"], got ["Active"]',
    ]);
    expect(formatTable([outcome])).toContain('| ✘ |');
  }, scenarioTimeoutMs);

  for (const scenario of scenarios) {
    it(`${scenario.file}: ${scenario.name}`, async () => {
      // Act
      const outcome = await runScenario(world, scenario);

      // Assess
      expect(outcome.mismatches, formatTable([outcome])).toEqual([]);
    }, scenarioTimeoutMs);
  }
});

/**
 * Undo inputs of a responder action come from its stored report, which must pass the report schemas:
 * a forged one is refused with 409 naming the field.
 */
import { describe, expect, it } from 'vitest';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { HttpProblem, problemFor } from '#shared/http/problem.ts';
import type { JsonObject } from '#shared/json.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';
import { cordonReport, nodeInputs } from './genuine-reports.ts';

describe('undo inputs of a responder action', () => {
  function quarantined(applied: JsonObject): ActionRecord {
    const record = createdRecord(
      {
        id: 'a-1',
        type: 'file-quarantine',
        category: 'containment',
        executor: 'host',
        inputs: { 'host.id': 'node-7', 'path.absolute': '/srv/app/dropper' },
        resources: [{ key: 'host/node-7/file//srv/app/dropper', kind: 'file' }],
        createdBy: 'analyst',
        undoType: 'file-unquarantine',
      },
      new Date('2026-11-20T10:00:00Z'),
    );
    return { ...record, status: 'Completed', applied };
  }

  it('are refused with 409 naming the field when the stored applied is forged, and built when it is genuine', () => {
    // Prepare
    const { applied } = quarantineReport('/srv/app/dropper', 'a-1');

    // Act
    const refused = (() => {
      try {
        undoInputsFor('file-unquarantine', quarantined({ ...applied, quarantinePath: '/tmp/../usr/bin/evil', mode: 0o4755 }));
        return null;
      } catch (error) {
        return problemFor(error);
      }
    })();

    // Assess
    expect(refused).toBeInstanceOf(HttpProblem);
    expect((refused as HttpProblem).status).toBe(409);
    expect((refused as HttpProblem).errors?.map((error) => error.path)).toEqual(['applied.quarantinePath']);
    expect(undoInputsFor('file-unquarantine', quarantined(applied))).toEqual({ 'host.id': 'node-7', 'path.absolute': '/srv/app/dropper' });
  });

  it('of uncordon-node are the cordoned node, from a cordon-node record whose stored report passes; a forged one is refused with 409', () => {
    // Prepare
    const cordoned = (applied: JsonObject): ActionRecord => ({
      ...createdRecord(
        {
          id: 'a-2',
          type: 'cordon-node',
          category: 'containment',
          executor: 'kubernetes',
          inputs: nodeInputs,
          resources: [{ key: 'k8s/prod/node/ip-10-0-12-34.eu-west-1.compute.internal', kind: 'k8s.node' }],
          createdBy: 'analyst',
          undoType: 'uncordon-node',
        },
        new Date('2026-11-20T10:00:00Z'),
      ),
      status: 'Completed',
      prior: cordonReport.prior,
      applied,
    });

    // Act
    const inputs = undoInputsFor('uncordon-node', cordoned(cordonReport.applied));
    const forged = (() => {
      try {
        return undoInputsFor('uncordon-node', cordoned({ unschedulable: { from: true, to: false } }));
      } catch (error) {
        return problemFor(error);
      }
    })();

    // Assess
    expect(inputs).toEqual(nodeInputs);
    expect(forged).toBeInstanceOf(HttpProblem);
    expect((forged as HttpProblem).status).toBe(409);
  });
});

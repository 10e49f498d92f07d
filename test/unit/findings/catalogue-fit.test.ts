import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findActionType, inputNamesOf, validateActionRequest } from '#shared/catalogue/index.ts';
import { normaliseEvent } from '#shared/findings/index.ts';
import type { FindingResource } from '#shared/findings/index.ts';
import { fixture } from './fixtures.ts';

/*
 * A finding's resource must be the one an action record on it will carry: every resource named by
 * every fixture, taken through the catalogue's own validation with an action of its kind, gives
 * back exactly the finding's key and kind, from inputs the action accepts as they are.
 */

const actionFor: Readonly<Record<string, string>> = {
  'aws.iam.user': 'iam-quarantine',
  'aws.iam.role': 'revoke-iam-role-sessions',
  'aws.ec2.instance': 'isolate-ec2-instance',
  'aws.s3.bucket': 'make-cloud-resource-private',
  'k8s.pod': 'delete-pod',
  'k8s.deployment': 'scale-workload',
  container: 'kill-process',
  host: 'kill-process',
  file: 'file-quarantine',
};

const resources: [string, FindingResource][] = ['real', 'written'].flatMap((folder) =>
  readdirSync(new URL(`../../fixtures/findings/${folder}/`, import.meta.url))
    .filter((name) => name.endsWith('.json') && !name.includes('__asff-finding'))
    .flatMap((name) => normaliseEvent(fixture(`${folder}/${name}`)).findings.flatMap((found) => found.resources.map((resource) => [name, resource] as [string, FindingResource]))),
);

describe('finding resources fit the catalogue', () => {
  it('every kind a fixture names has an action to check it with', () => {
    expect(resources.length).toBeGreaterThan(20);
    expect(resources.map(([, resource]) => resource.kind).filter((kind) => actionFor[kind] === undefined)).toEqual([]);
  });

  it.each(resources.map(([name, resource]) => [name, resource.key, resource] as const))('%s: %s', (_name, _key, resource) => {
    // Prepare
    const type = actionFor[resource.kind] ?? '';
    const definition = findActionType(type);
    const accepted = new Set(definition === undefined ? [] : inputNamesOf(definition));
    const inputs = Object.fromEntries(Object.entries(resource.inputs).filter(([input]) => accepted.has(input)));

    // Act
    const result = validateActionRequest({ type, inputs }, { now: new Date('2026-11-20T12:00:00Z') });

    // Assess
    expect(result.ok ? result.resources[0] : result.errors).toEqual({ key: resource.key, kind: resource.kind });
  });
});

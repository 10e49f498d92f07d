import { describe, expect, it } from 'vitest';
import { findActionType } from '#shared/catalogue/catalogue.ts';
import { builtInPlaybooks, categoriesOf, describePlaybook } from '#shared/playbooks/definitions/index.ts';
import { loadPlaybookCatalogue } from '#shared/playbooks/definitions/load.ts';
import type { PlaybookDefinition } from '#shared/playbooks/types.ts';

function playbook(name: string): PlaybookDefinition {
  const found = builtInPlaybooks.find((each) => each.name === name);
  if (found === undefined) throw new Error(`no built-in ${name}`);
  return found;
}

function stepsOf(name: string): string[] {
  return playbook(name).steps.map((step) => `${step.id} ${step.type}`);
}

describe('the built-in playbooks', () => {
  it('are the six of API.md, in its order, all built-in', () => {
    expect(builtInPlaybooks.map((each) => [each.name, each.source])).toEqual([
      ['aws-credential-compromise', 'built-in'],
      ['container-compromise', 'built-in'],
      ['network-exfiltration', 'built-in'],
      ['suspicious-file', 'built-in'],
      ['ec2-instance-compromise', 'built-in'],
      ['kubernetes-workload-breach', 'built-in'],
    ]);
  });

  it('have exactly the steps of the contract, in order', () => {
    expect(stepsOf('aws-credential-compromise')).toEqual([
      'cloudtrail fetch-cloud-logs',
      'quarantine iam-quarantine',
      'access-keys deactivate-access-keys',
      'role-sessions revoke-iam-role-sessions',
    ]);
    expect(stepsOf('container-compromise')).toEqual([
      'logs get-logs',
      'processes capture-process-state',
      'file acquire-file',
      'volumes kubernetes-volume-snapshot',
      'pause pause-container',
      'kill kill-container',
    ]);
    expect(stepsOf('network-exfiltration')).toEqual(['logs get-logs', 'pod-state capture-pod-state', 'volumes kubernetes-volume-snapshot', 'isolate isolate-network']);
    expect(stepsOf('suspicious-file')).toEqual(['acquire acquire-file', 'quarantine file-quarantine']);
    expect(stepsOf('ec2-instance-compromise')).toEqual(['snapshot cloud-volume-snapshot', 'isolate isolate-ec2-instance']);
    expect(stepsOf('kubernetes-workload-breach')).toEqual(['isolate isolate-network', 'pod-state capture-pod-state', 'logs get-logs', 'scale scale-workload']);
  });

  it('take the inputs of the contract, required where it says', () => {
    const inputs = (name: string) => playbook(name).inputs.map((input) => `${input.name}${input.required ? '' : '?'}`);
    expect(inputs('aws-credential-compromise')).toEqual(['aws.resource.arn', 'fromTimestamp?', 'toTimestamp?', 'aws.region?']);
    expect(inputs('container-compromise')).toEqual([
      'host.id',
      'container.id',
      'path.absolute?',
      'kubernetes.cluster.name?',
      'kubernetes.namespace.name?',
      'kubernetes.persistentvolume.claim.name?',
      'container.action?',
    ]);
    expect(inputs('network-exfiltration')).toEqual([
      'kubernetes.cluster.name',
      'kubernetes.namespace.name',
      'kubernetes.pod.name',
      'kubernetes.workload.name',
      'kubernetes.workload.type',
      'kubernetes.persistentvolume.claim.name?',
    ]);
    expect(inputs('suspicious-file')).toEqual(['host.id', 'path.absolute', 'container.id?']);
    expect(inputs('ec2-instance-compromise')).toEqual(['aws.resource.arn']);
    expect(inputs('kubernetes-workload-breach')).toEqual([
      'kubernetes.cluster.name',
      'kubernetes.namespace.name',
      'kubernetes.workload.name',
      'kubernetes.workload.type',
      'kubernetes.pod.name',
    ]);
    expect(playbook('aws-credential-compromise').inputs.map((input) => input.default ?? null)).toEqual([
      null,
      { secondsAgo: 86_400 },
      { secondsAgo: 0 },
      { value: 'us-east-1' },
    ]);
    expect(playbook('container-compromise').inputs.find((input) => input.name === 'container.action')?.default).toEqual({ value: 'pause' });
  });

  it('take phase and effect from the catalogue, and gather every piece of evidence before anything destroys it', () => {
    for (const each of builtInPlaybooks) {
      const lastEvidence = each.steps.map((step) => step.phase).lastIndexOf('evidence');
      each.steps.forEach((step, index) => {
        const effect = findActionType(step.type)?.effect;
        expect(step.effect).toBe(effect);
        expect(step.phase).toBe(effect === 'evidence' ? 'evidence' : 'containment');
        if (step.effect === 'destructive') expect(index, `${each.name} ${step.id}`).toBeGreaterThan(lastEvidence);
      });
    }
    expect(playbook('kubernetes-workload-breach').steps.map((step) => step.effect)).toEqual(['preserving', 'evidence', 'evidence', 'destructive']);
  });

  it('scale the workload to zero in kubernetes-workload-breach, and pause or kill only as container.action says', () => {
    expect(playbook('kubernetes-workload-breach').steps[3]?.inputs['kubernetes.workload.replicas']).toEqual({ value: 0 });
    const [pause, kill] = playbook('container-compromise').steps.slice(4);
    expect(pause?.when).toEqual([{ equals: { input: 'container.action', value: 'pause' } }]);
    expect(kill?.when).toEqual([{ equals: { input: 'container.action', value: 'kill' } }]);
  });

  it('need the scopes of the categories their steps use', () => {
    expect(categoriesOf(playbook('suspicious-file'))).toEqual(['containment', 'data-gathering']);
    expect(categoriesOf({ steps: playbook('network-exfiltration').steps.slice(0, 3) })).toEqual(['data-gathering']);
  });

  it('are described with a strict JSON Schema of their inputs and their conditions in words', () => {
    const description = describePlaybook(playbook('container-compromise'));
    expect(description.inputs).toMatchObject({
      type: 'object',
      required: ['host.id', 'container.id'],
      additionalProperties: false,
      properties: { 'container.action': { enum: ['pause', 'kill'], default: 'pause' }, 'host.id': { type: 'string', maxLength: 253 } },
    });
    expect(description.steps.map((step) => step.when)).toEqual([
      [],
      [],
      ['path.absolute is given'],
      ['kubernetes.persistentvolume.claim.name is given'],
      ['container.action is "pause"'],
      ['container.action is "kill"'],
    ]);
    expect(describePlaybook(playbook('network-exfiltration')).steps[2]?.when).toEqual([
      'kubernetes.persistentvolume.claim.name is given, or step pod-state Completed with persistentVolumeClaims in its result',
    ]);
  });

  it('take an ARN input as its first step acts on it: a user or role ARN for credentials, an instance ARN for EC2', () => {
    const arnSchema = (name: string) => playbook(name).inputs.find((input) => input.name === 'aws.resource.arn')?.schema;
    expect(arnSchema('aws-credential-compromise')?.['description']).toMatch(/IAM user or role/);
    expect(arnSchema('ec2-instance-compromise')?.['description']).toMatch(/EC2 instance/);
  });

  it('are all the catalogue holds without a PLAYBOOKS file', () => {
    for (const file of [undefined, null, '', '  ']) {
      const catalogue = loadPlaybookCatalogue(file);
      expect(catalogue.list()).toEqual(builtInPlaybooks);
      expect(catalogue.fileSha256).toBeNull();
      expect(catalogue.find('suspicious-file')).toBe(playbook('suspicious-file'));
      expect(catalogue.find('constructor')).toBeUndefined();
    }
  });
});

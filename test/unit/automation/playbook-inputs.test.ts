/**
 * A rule's playbook gets its inputs from the finding as an action does, but picked by the
 * playbook's input names, the rule's inputs on top, checked by the playbook's schema; every step
 * the inputs resolve at the start is checked by the catalogue and names the targets.
 */
import { describe, expect, it } from 'vitest';
import { inputsForPlaybook } from '#shared/automation/playbook-inputs.ts';
import { normaliseEvent } from '#shared/findings/index.ts';
import type { NormalisedFinding } from '#shared/findings/index.ts';
import { builtInPlaybooks } from '#shared/playbooks/definitions/index.ts';
import { playbookCatalogueFromText } from '#shared/playbooks/definitions/load.ts';
import type { PlaybookDefinition } from '#shared/playbooks/types.ts';
import { fixture } from '../findings/fixtures.ts';

const now = new Date('2026-12-05T12:00:00Z');

function only(path: string): NormalisedFinding {
  const [finding] = normaliseEvent(fixture(path)).findings;
  if (finding === undefined) throw new Error(`${path} holds a finding`);
  return finding;
}

function builtIn(name: string): PlaybookDefinition {
  const playbook = builtInPlaybooks.find((each) => each.name === name);
  if (playbook === undefined) throw new Error(`no built-in ${name}`);
  return playbook;
}

function mapped(playbook: string, path: string, inputs?: Record<string, string | number | boolean>) {
  return inputsForPlaybook({ playbook, ...(inputs === undefined ? {} : { inputs }) }, builtIn(playbook), only(path), now);
}

describe('inputsForPlaybook', () => {
  it('takes the first resource whose inputs the playbook accepts, only the inputs it takes', () => {
    // Act: the Falco alert names the host (with a process id) first, then the file
    const result = mapped('suspicious-file', 'written/falco-host-sensitive-file.json');

    // Assess
    expect(result).toMatchObject({
      ok: true,
      source: { kind: 'file' },
      inputs: { 'host.id': 'build-host-3', 'path.absolute': '/etc/shadow' },
      targets: [{ key: 'host/build-host-3/file//etc/shadow', kind: 'file' }],
    });
    expect(result.ok && result.steps.map((step) => [step.id, step.request.definition.type])).toEqual([
      ['acquire', 'acquire-file'],
      ['quarantine', 'file-quarantine'],
    ]);
  });

  it('fills the playbook\'s defaults and resolves only the steps whose conditions hold', () => {
    // Act
    const user = mapped('aws-credential-compromise', 'written/guardduty-credential-access-iam-user.json');
    const role = mapped('aws-credential-compromise', 'written/guardduty-stealth-role-session.json');

    // Assess
    expect(user).toMatchObject({
      ok: true,
      inputs: {
        'aws.resource.arn': 'arn:aws:iam::111122223333:user/deploy-bot',
        fromTimestamp: '2026-12-04T12:00:00Z',
        toTimestamp: '2026-12-05T12:00:00Z',
        'aws.region': 'us-east-1',
      },
      targets: [{ key: 'arn:aws:iam::111122223333:user/deploy-bot' }],
    });
    expect(user.ok && user.steps.map((step) => step.id)).toEqual(['cloudtrail', 'quarantine', 'access-keys']);
    expect(role.ok && role.steps.map((step) => step.id)).toEqual(['cloudtrail', 'quarantine', 'role-sessions']);
  });

  it('puts the rule\'s inputs on top of the finding\'s', () => {
    // Act
    const result = mapped('container-compromise', 'written/falco-terminal-shell-in-container.json', { 'container.action': 'kill' });

    // Assess
    expect(result).toMatchObject({ ok: true, inputs: { 'host.id': 'node-7', 'container.id': '3ad7b26ded6d', 'container.action': 'kill' } });
    expect(result.ok && result.steps.map((step) => step.id)).toEqual(['logs', 'processes', 'kill']);
  });

  it("never lets a finding set a playbook option: a resource carrying container.action kill still pauses", () => {
    // Prepare: a container resource as a hostile or buggy source might hand it over
    const finding = only('written/falco-terminal-shell-in-container.json');
    const [container] = finding.resources;
    if (container === undefined) throw new Error('the container');
    const hostile = { ...finding, resources: [{ ...container, inputs: { ...container.inputs, 'container.action': 'kill' } }] };

    // Act
    const result = inputsForPlaybook({ playbook: 'container-compromise' }, builtIn('container-compromise'), hostile, now);

    // Assess
    expect(result).toMatchObject({ ok: true, inputs: { 'container.action': 'pause' } });
    expect(result.ok && result.steps.map((step) => step.id)).toEqual(['logs', 'processes', 'pause']);
  });

  it('is unmapped, saying what each resource lacks, when none gives the playbook what it requires', () => {
    // Act
    const result = mapped('network-exfiltration', 'written/guardduty-kubernetes-exec-pod.json');

    // Assess
    expect(result).toEqual({
      ok: false,
      reason:
        'playbook network-exfiltration cannot act on what the finding names: k8s.pod "k8s/prod-eu/kube-system/pod/coredns-7f6b8c9d4-abcde" lacks kubernetes.workload.name, kubernetes.workload.type (the rule may supply them in run.inputs)',
    });
  });

  it('is unmapped when the rule\'s input is one the playbook\'s schema refuses', () => {
    // Act
    const result = mapped('aws-credential-compromise', 'written/guardduty-credential-access-iam-user.json', { 'aws.region': 'moon-1' });

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('aws.iam.user "arn:aws:iam::111122223333:user/deploy-bot" aws.region ');
  });

  it('is unmapped when no step of the playbook would run on what the finding names', () => {
    // Prepare: a custom playbook whose only step needs a process id the alert's file does not carry
    const catalogue = playbookCatalogueFromText(
      `playbooks:
  - name: logs-of-a-process
    title: Logs when a process is named
    description: Gets the host's logs, only when a process id is given.
    inputs:
      - name: host.id
        required: true
      - name: process.id
    steps:
      - id: logs
        type: get-logs
        inputs:
          host.id: { input: host.id }
        when:
          - present: process.id
`,
      'playbooks.yaml',
      'yaml',
    );
    const playbook = catalogue.find('logs-of-a-process');
    if (playbook === undefined) throw new Error('the custom playbook');
    const finding = only('written/falco-host-sensitive-file.json');

    // Act
    const result = inputsForPlaybook({ playbook: playbook.name }, playbook, { ...finding, resources: finding.resources.slice(1) }, now);

    // Assess
    expect(result).toEqual({
      ok: false,
      reason: 'playbook logs-of-a-process cannot act on what the finding names: file "host/build-host-3/file//etc/shadow": no step of logs-of-a-process would run on them',
    });
  });
});

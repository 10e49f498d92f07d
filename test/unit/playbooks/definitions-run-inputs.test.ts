import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/errors.ts';
import { builtInPlaybooks, resourcesAtStart, validateRunInputs } from '#shared/playbooks/definitions/index.ts';
import { playbookCatalogueFromText } from '#shared/playbooks/definitions/load.ts';
import type { PlaybookDefinition } from '#shared/playbooks/types.ts';

const now = new Date('2026-11-20T12:00:00.250Z');

function playbook(name: string): PlaybookDefinition {
  const found = builtInPlaybooks.find((each) => each.name === name);
  if (found === undefined) throw new Error(`no built-in ${name}`);
  return found;
}

function refusal(name: string, inputs: unknown): InvalidInputError {
  try {
    validateRunInputs(playbook(name), inputs, now);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

const user = 'arn:aws:iam::123456789012:user/alice';
const container = { 'host.id': 'node-7', 'container.id': 'abc123' };

describe('validateRunInputs', () => {
  it('fills the defaults: literals, and secondsAgo as an RFC 3339 time before now, to the second', () => {
    expect(validateRunInputs(playbook('aws-credential-compromise'), { 'aws.resource.arn': user }, now)).toEqual({
      'aws.resource.arn': user,
      fromTimestamp: '2026-11-19T12:00:00Z',
      toTimestamp: '2026-11-20T12:00:00Z',
      'aws.region': 'us-east-1',
    });
    expect(validateRunInputs(playbook('container-compromise'), container, now)).toEqual({ ...container, 'container.action': 'pause' });
  });

  it('keeps what was given over the default', () => {
    const given = { 'aws.resource.arn': user, fromTimestamp: '2026-11-20T10:00:00Z', 'aws.region': 'eu-west-1' };
    expect(validateRunInputs(playbook('aws-credential-compromise'), given, now)).toEqual({ ...given, toTimestamp: '2026-11-20T12:00:00Z' });
    expect(validateRunInputs(playbook('container-compromise'), { ...container, 'container.action': 'kill' }, now)['container.action']).toBe('kill');
  });

  it('refuses an inputs value that is no object', () => {
    for (const inputs of [undefined, null, [], 'x', 1]) {
      expect(refusal('suspicious-file', inputs).errors).toEqual([
        expect.objectContaining({ path: 'inputs', message: expect.stringContaining('playbook suspicious-file: it takes host.id, path.absolute, container.id') as unknown }),
      ]);
    }
  });

  it('refuses unknown names, missing required inputs and values the catalogue field refuses, each at inputs.<name>', () => {
    const error = refusal('suspicious-file', { 'host.id': 'bad host', 'container.id': 7, hostname: 'x' });
    expect(error.errors).toEqual([
      { path: 'inputs.hostname', message: 'is not an input of playbook suspicious-file; it takes host.id, path.absolute, container.id' },
      { path: 'inputs.host.id', message: "must be 1 to 253 characters of letters, digits, '.', '_', ':' and '-' (the host id its responder registered)" },
      { path: 'inputs.path.absolute', message: 'is required by playbook suspicious-file' },
      { path: 'inputs.container.id', message: "must be a container id: 1 to 128 characters of letters, digits, '_', '.' and '-'" },
    ]);
  });

  it('refuses a __proto__ key from parsed JSON as an unknown input', () => {
    const inputs = JSON.parse(`{"host.id": "h", "path.absolute": "/x", "__proto__": {"container.id": "c"}}`) as unknown;
    expect(refusal('suspicious-file', inputs).errors).toEqual([
      { path: 'inputs.__proto__', message: 'is not an input of playbook suspicious-file; it takes host.id, path.absolute, container.id' },
    ]);
  });

  it('checks an ARN input with the kinds its first step takes, and an option with its choices', () => {
    expect(refusal('aws-credential-compromise', { 'aws.resource.arn': 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0' }).errors).toEqual([
      { path: 'inputs.aws.resource.arn', message: expect.stringMatching(/^must be the ARN of an IAM user or an IAM role/) as unknown },
    ]);
    expect(refusal('ec2-instance-compromise', { 'aws.resource.arn': user }).errors[0]?.message).toMatch(/^must be the ARN of an EC2 instance/);
    expect(refusal('container-compromise', { ...container, 'container.action': 'stop' }).errors).toEqual([
      { path: 'inputs.container.action', message: 'must be pause (keeps the container for investigation) or kill' },
    ]);
  });

  it('names the entry of a list input at fault', () => {
    const error = refusal('network-exfiltration', {
      'kubernetes.cluster.name': 'c',
      'kubernetes.namespace.name': 'n',
      'kubernetes.pod.name': 'p',
      'kubernetes.workload.name': 'w',
      'kubernetes.workload.type': 'deployment',
      'kubernetes.persistentvolume.claim.name': ['ok', 'Not_OK'],
    });
    expect(error.errors.map((each) => each.path)).toEqual(['inputs.kubernetes.persistentvolume.claim.name[1]']);
  });
});

describe('validateRunInputs on anything', () => {
  it('answers only declared names, or refuses with InvalidInputError paths under inputs', () => {
    const names = ['host.id', 'path.absolute', 'container.id', '__proto__', 'constructor', 'hostname'];
    const inputs = fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.string(), fc.jsonValue())));
    fc.assert(
      fc.property(inputs, (given) => {
        try {
          const taken = validateRunInputs(playbook('suspicious-file'), given, now);
          return Object.keys(taken).every((name) => ['host.id', 'path.absolute', 'container.id'].includes(name)) && typeof taken['host.id'] === 'string';
        } catch (error) {
          return error instanceof InvalidInputError && error.errors.length > 0 && error.errors.every((each) => each.path === 'inputs' || each.path.startsWith('inputs.'));
        }
      }),
    );
  });
});

describe('resourcesAtStart', () => {
  it('names the resources of the steps the run inputs alone resolve, each once', () => {
    const inputs = validateRunInputs(playbook('aws-credential-compromise'), { 'aws.resource.arn': user }, now);
    expect(resourcesAtStart(playbook('aws-credential-compromise'), inputs, now)).toEqual([{ key: user, kind: 'aws.iam.user' }]);
    const pod = { 'kubernetes.cluster.name': 'c', 'kubernetes.namespace.name': 'n', 'kubernetes.pod.name': 'p', 'kubernetes.workload.name': 'w', 'kubernetes.workload.type': 'deployment' };
    expect(resourcesAtStart(playbook('network-exfiltration'), pod, now).map((each) => each.key)).toEqual(['k8s/c/n/pod/p', 'k8s/c/n/deployment/w']);
  });

  it('leaves out steps their conditions skip and steps whose inputs the catalogue refuses', () => {
    const inputs = validateRunInputs(playbook('container-compromise'), { ...container, 'kubernetes.persistentvolume.claim.name': 'data' }, now);
    // The snapshot step lacks its cluster and namespace: the catalogue refuses it, so it names nothing.
    expect(resourcesAtStart(playbook('container-compromise'), inputs, now).map((each) => each.key)).toEqual(['host/node-7/container/abc123']);
  });

  it('names what a custom playbook would touch from its inputs', () => {
    const catalogue = playbookCatalogueFromText(
      JSON.stringify({
        playbooks: [
          {
            name: 'two-files',
            title: 't',
            description: 'd',
            inputs: [{ name: 'host.id', required: true }, { name: 'path.absolute', required: true }],
            steps: [
              { id: 'a', type: 'acquire-file', inputs: { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } } },
              { id: 'b', type: 'acquire-file', inputs: { 'host.id': { input: 'host.id' }, 'path.absolute': { value: '/etc/passwd' } } },
            ],
          },
        ],
      }),
      'p.json',
    );
    const custom = catalogue.find('two-files');
    if (custom === undefined) throw new Error('not loaded');
    expect(resourcesAtStart(custom, { 'host.id': 'h', 'path.absolute': '/tmp/x' }, now).map((each) => each.key)).toEqual(['host/h/file//tmp/x', 'host/h/file//etc/passwd']);
  });
});

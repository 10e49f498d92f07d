/**
 * A bundle built as a ServiceFunction's is (`buildServiceFunctionBundle`, whose EC2 schemas have
 * their computed keys inlined) reads a real instance from moto_server in a fresh node process: the
 * rewritten schemas still deserialize EC2's XML, member names (`groupSet`, `tagSet`) included.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTagsCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildServiceFunctionBundle } from '#infra/bundling/build-service-function-bundle.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { createNetwork, createSecurityGroup, launchInstance, motoEc2Client, region } from '#test/support/moto-ec2.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';
import { makeTempDir, projectRoot } from '#test/infra/support/synth.ts';

const run = promisify(execFile);

describe('a ServiceFunction bundle of the EC2 read path', () => {
  const outdir = makeTempDir('bundled-ec2');
  let ec2: EC2Client;
  let bundle: string;

  beforeAll(async () => {
    ec2 = motoEc2Client(inject('motoEndpoint'));
    bundle = await buildServiceFunctionBundle(join(projectRoot, 'test/fixtures/infra/describe-instance-handler.ts'), outdir.path);
  });

  afterAll(() => {
    ec2.destroy();
    outdir.remove();
  });

  it('describes an instance on moto with its id, state, zone, security groups and tags', async () => {
    // Prepare
    const network = await createNetwork(ec2);
    const groupIds = [await createSecurityGroup(ec2, network.vpcId, 'bundled-a'), await createSecurityGroup(ec2, network.vpcId, 'bundled-b')];
    const instanceId = await launchInstance(ec2, { network, securityGroupIds: groupIds });
    await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'Name', Value: 'bundled-read' }] }));
    const unbundled = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
    const event = { accountId: motoAccountId, region, instanceId, ...emulatorCredentials };
    const script = `const { handler } = await import(${JSON.stringify(`file://${bundle}`)}); console.log(JSON.stringify(await handler(${JSON.stringify(event)})));`;

    // Act: a fresh node, as Lambda loads the bundle, with only the endpoint the SDK follows
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '--eval', script], {
      cwd: outdir.path,
      env: { PATH: process.env['PATH'] ?? '', AWS_ENDPOINT_URL: inject('motoEndpoint') },
    });
    const described = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;

    // Assess
    expect(described).toEqual({
      instanceId,
      state: 'running',
      availabilityZone: `${region}a`,
      securityGroupIds: (unbundled?.SecurityGroups ?? []).map((group) => group.GroupId),
      primaryInterfaceGroupIds: groupIds,
      tags: { Name: 'bundled-read' },
    });
  });
});

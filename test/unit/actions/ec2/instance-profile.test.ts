import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { profileChangeSchema, type ProfileState } from '#shared/actions/ec2/detach-instance-profile.ts';
import { instanceProfileDrift } from '#shared/actions/ec2/restore-instance-profile.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';

const account = '111122223333';
const profileArn = `arn:aws:iam::${account}:instance-profile/web`;
const detached = profileChangeSchema.parse({ action: 'DisassociateIamInstanceProfile', associationId: 'iip-assoc-1', instanceProfileArn: profileArn });

function state(instanceProfileArn: string | null): ProfileState {
  return {
    instanceId: 'i-0123456789abcdef0',
    association: instanceProfileArn === null ? null : { associationId: 'iip-assoc-2', instanceProfileArn, state: 'associated' },
  };
}

describe('instanceProfileDrift (restore-instance-profile)', () => {
  it('reports nothing when the instance still has no profile', () => {
    expect(instanceProfileDrift(detached, state(null))).toEqual({ associatedSince: null });
  });

  it('reports a profile associated since, saying whether it is the one the detach removed', () => {
    const other = `arn:aws:iam::${account}:instance-profile/other`;
    expect(instanceProfileDrift(detached, state(other))).toEqual({
      associatedSince: { instanceProfileArn: other, associationId: 'iip-assoc-2' },
      sameProfile: false,
    });
    expect(instanceProfileDrift(detached, state(profileArn))).toMatchObject({ sameProfile: true });
  });
});

/** The EC2 family's member permissions as IAM reads them in `account`. */
const ec2Policy = {
  Version: '2012-10-17',
  Statement: (cloudActionFamilyDeployments.find((family) => family.name === 'ec2')?.memberPermissions ?? []).map((permission) => ({
    Effect: 'Allow',
    Action: permission.actions,
    Resource: permission.resources.map((resource) => resource.replaceAll('${Partition}', 'aws').replaceAll('${AWS::AccountId}', account)),
    ...(permission.conditions === undefined
      ? {}
      : {
          Condition: JSON.parse(
            JSON.stringify(permission.conditions).replaceAll('${Partition}', 'aws').replaceAll('${AWS::AccountId}', account),
          ) as unknown,
        }),
  })),
};

async function passRole(role: string, contextVariables: Record<string, string>): Promise<string> {
  const simulation = await runSimulation(
    {
      identityPolicies: [{ name: 'ec2-family', policy: ec2Policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/ResponseActionsMember-ec2/action`,
        action: 'iam:PassRole',
        resource: { resource: `arn:aws:iam::${account}:role/${role}`, accountId: account },
        contextVariables,
      },
    },
    {},
  );
  // A simulation that could not run must fail the test, never read as "not allowed".
  if (simulation.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(simulation.errors)}`);
  return simulation.overallResult;
}

describe("the EC2 family's iam:PassRole (restore-instance-profile re-associates a profile's role)", () => {
  const toAnInstance = { 'iam:PassedToService': 'ec2.amazonaws.com', 'iam:AssociatedResourceArn': `arn:aws:ec2:eu-west-1:${account}:instance/i-0123456789abcdef0` };

  it("allows passing a role to EC2 for an instance of the account", async () => {
    expect(await passRole('web', toAnInstance)).toBe('Allowed');
  });

  it('allows it to no other service, for no other resource, and not in another account', async () => {
    expect(await passRole('web', { ...toAnInstance, 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
    expect(await passRole('web', { 'iam:PassedToService': 'ec2.amazonaws.com' })).not.toBe('Allowed');
    expect(
      await passRole('web', { ...toAnInstance, 'iam:AssociatedResourceArn': 'arn:aws:ec2:eu-west-1:999999999999:instance/i-0123456789abcdef0' }),
    ).not.toBe('Allowed');
  });
});

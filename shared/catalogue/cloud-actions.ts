/** Action types a Step Functions execution carries out in a member AWS account. */
import type { AwsResourceKind } from './arn.ts';
import {
  awsAccountId,
  awsEbsSnapshotIds,
  awsRegion,
  awsResourceArn,
  ctUser,
  ctUserArn,
  ctUserIdentityType,
  fromTimestamp,
  isRfc3339,
  toTimestamp,
} from './fields.ts';
import { optionalText, requiredText } from './read-inputs.ts';
import { awsIdentityResource, awsResource } from './resource-keys.ts';
import { accountAndRegionFitArn, atLeastOneOf, inputsSchema } from './rules.ts';
import type { ActionInputs, ActionTypeDefinition, FieldError, ValidationContext } from './types.ts';

const inCloud = () => 'cloud' as const;

function arnOf(inputs: ActionInputs) {
  return [awsResource(requiredText(inputs, 'aws.resource.arn'))];
}

/** Inputs of an action on one AWS resource named by its ARN alone (IAM and EC2 ARNs carry account and region). */
function arnOnly(kinds: readonly AwsResourceKind[], description: string) {
  return inputsSchema({ 'aws.resource.arn': awsResourceArn(kinds, description) });
}

const iamPrincipal: readonly AwsResourceKind[] = ['aws.iam.user', 'aws.iam.role'];
const iamRole: readonly AwsResourceKind[] = ['aws.iam.role'];
const iamUser: readonly AwsResourceKind[] = ['aws.iam.user'];
const ec2Instance: readonly AwsResourceKind[] = ['aws.ec2.instance'];
const privatisable: readonly AwsResourceKind[] = ['aws.s3.bucket', 'aws.rds.db-instance'];

export const iamQuarantine: ActionTypeDefinition = {
  type: 'iam-quarantine',
  title: 'Quarantine IAM principal',
  description: 'Attaches a deny-all policy to an IAM user or role; iam-unquarantine undoes it.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'iam-unquarantine',
  inputs: arnOnly(iamPrincipal, 'The IAM user or role to quarantine.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const iamUnquarantine: ActionTypeDefinition = {
  type: 'iam-unquarantine',
  title: 'Release IAM principal',
  description: 'Removes the deny-all policy iam-quarantine attached to an IAM user or role.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: arnOnly(iamPrincipal, 'The quarantined IAM user or role.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

/** An S3 bucket ARN carries neither account nor region, so both inputs are needed for buckets. */
function privatisableInputs(description: string) {
  return inputsSchema(
    {
      'aws.resource.arn': awsResourceArn(privatisable, description),
      'aws.account.id': awsAccountId.optional(),
      'aws.region': awsRegion.optional(),
    },
    { rules: [accountAndRegionFitArn(privatisable)] },
  );
}

export const makeCloudResourcePrivate: ActionTypeDefinition = {
  type: 'make-cloud-resource-private',
  title: 'Make cloud resource private',
  description:
    'Blocks public access to an S3 bucket, or makes an RDS DB instance not publicly accessible; undo-make-cloud-resource-private undoes it.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'undo-make-cloud-resource-private',
  inputs: privatisableInputs('The S3 bucket or RDS DB instance to make private.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const undoMakeCloudResourcePrivate: ActionTypeDefinition = {
  type: 'undo-make-cloud-resource-private',
  title: 'Restore cloud resource access',
  description: 'Restores the public-access settings an S3 bucket or RDS DB instance had before it was made private.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: privatisableInputs('The S3 bucket or RDS DB instance made private.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

const dayMs = 24 * 60 * 60 * 1000;
/** CloudTrail event history (LookupEvents) keeps 90 days. */
const cloudTrailRetentionMs = 90 * dayMs;

function timestampOf(inputs: ActionInputs, name: string): number | null {
  const value = inputs[name];
  return typeof value === 'string' && isRfc3339(value) ? Date.parse(value) : null;
}

/**
 * The window must lie within CloudTrail's 90 days and not in the future. Runs also when
 * other inputs are wrong (so one answer lists every error), so it reads only the
 * timestamps it can parse.
 */
function cloudTrailWindowAt(inputs: ActionInputs, context: ValidationContext): readonly FieldError[] {
  const errors: FieldError[] = [];
  const now = context.now.getTime();
  const from = timestampOf(inputs, 'fromTimestamp');
  const to = timestampOf(inputs, 'toTimestamp');
  if (from !== null && from < now - cloudTrailRetentionMs) {
    errors.push({
      path: 'inputs.fromTimestamp',
      message: `is more than 90 days before now (${context.now.toISOString()}); CloudTrail event history keeps 90 days, so start at ${new Date(now - cloudTrailRetentionMs).toISOString()} or later`,
    });
  }
  if (to !== null && to > now) {
    errors.push({ path: 'inputs.toTimestamp', message: `is in the future (now is ${context.now.toISOString()}); end the window at now or earlier` });
  }
  return errors;
}

export const fetchCloudLogs: ActionTypeDefinition = {
  type: 'fetch-cloud-logs',
  title: 'Fetch CloudTrail events',
  description: "Collects an identity's CloudTrail events in one account and region, over a window within the last 90 days.",
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['cloud'],
  undoType: null,
  inputs: inputsSchema(
    {
      'aws.account.id': awsAccountId,
      'aws.region': awsRegion,
      'ct.user': ctUser.optional(),
      'ct.user.arn': ctUserArn.optional(),
      'ct.user.identitytype': ctUserIdentityType.optional(),
      fromTimestamp,
      toTimestamp,
    },
    {
      // ct.user.arn's account is not held to aws.account.id: a trail records principals of
      // other accounts acting on this one, and those are what an investigation looks for.
      rules: [
        atLeastOneOf('ct.user', 'ct.user.arn'),
        (inputs, report) => {
          const from = timestampOf(inputs, 'fromTimestamp');
          const to = timestampOf(inputs, 'toTimestamp');
          if (from !== null && to !== null && from >= to) {
            report('fromTimestamp', `must be before toTimestamp (${String(inputs.toTimestamp)})`);
          }
        },
      ],
      jsonSchema: { anyOf: [{ required: ['ct.user'] }, { required: ['ct.user.arn'] }] },
    },
  ),
  checkAt: cloudTrailWindowAt,
  executorFor: inCloud,
  resourcesOf: (inputs) => {
    const arn = optionalText(inputs, 'ct.user.arn');
    if (arn !== undefined) return [awsResource(arn)];
    return [awsIdentityResource(requiredText(inputs, 'aws.account.id'), requiredText(inputs, 'ct.user'))];
  },
};

export const cloudVolumeSnapshot: ActionTypeDefinition = {
  type: 'cloud-volume-snapshot',
  title: 'Snapshot EC2 instance volumes',
  description: 'Takes an EBS snapshot of every volume attached to an EC2 instance; undo-cloud-volume-snapshot deletes them.',
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['cloud'],
  undoType: 'undo-cloud-volume-snapshot',
  inputs: arnOnly(ec2Instance, 'The EC2 instance whose volumes to snapshot.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const undoCloudVolumeSnapshot: ActionTypeDefinition = {
  type: 'undo-cloud-volume-snapshot',
  title: 'Delete EC2 volume snapshots',
  description: 'Deletes EBS snapshots cloud-volume-snapshot took of an EC2 instance (all of them unless listed).',
  category: 'data-gathering',
  // Deletes the snapshots taken as evidence.
  effect: 'destructive',
  executors: ['cloud'],
  undoType: null,
  inputs: inputsSchema({
    'aws.resource.arn': awsResourceArn(ec2Instance, 'The EC2 instance the snapshots were taken of.'),
    'aws.ebs.snapshot.ids': awsEbsSnapshotIds.optional(),
  }),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const isolateEc2Instance: ActionTypeDefinition = {
  type: 'isolate-ec2-instance',
  title: 'Isolate EC2 instance',
  description:
    "Preserves an EC2 instance's evidence, puts it on standby if its Auto Scaling group has it in service, and replaces its security groups with one allowing no traffic; unisolate-ec2-instance undoes it.",
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'unisolate-ec2-instance',
  inputs: arnOnly(ec2Instance, 'The EC2 instance to isolate.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const unisolateEc2Instance: ActionTypeDefinition = {
  type: 'unisolate-ec2-instance',
  title: 'Release EC2 instance',
  description: 'Gives an isolated EC2 instance back its security groups and evidence settings, and puts it back in service if isolation put it on standby and it is still there.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: arnOnly(ec2Instance, 'The isolated EC2 instance.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const detachInstanceProfile: ActionTypeDefinition = {
  type: 'detach-instance-profile',
  title: 'Detach EC2 instance profile',
  description: "Takes the IAM instance profile off an EC2 instance, so the instance's role credentials are no longer renewed; restore-instance-profile undoes it.",
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'restore-instance-profile',
  inputs: arnOnly(ec2Instance, 'The EC2 instance whose instance profile to detach.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const restoreInstanceProfile: ActionTypeDefinition = {
  type: 'restore-instance-profile',
  title: 'Restore EC2 instance profile',
  description: 'Associates again the instance profile detach-instance-profile took off an EC2 instance, unless another was associated since.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: arnOnly(ec2Instance, 'The EC2 instance whose instance profile was detached.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const revokeIamRoleSessions: ActionTypeDefinition = {
  type: 'revoke-iam-role-sessions',
  title: 'Revoke IAM role sessions',
  description: 'Denies every session of an IAM role issued before now; restore-iam-role-sessions undoes it.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'restore-iam-role-sessions',
  inputs: arnOnly(iamRole, 'The IAM role whose sessions to revoke.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const restoreIamRoleSessions: ActionTypeDefinition = {
  type: 'restore-iam-role-sessions',
  title: 'Restore IAM role sessions',
  description: 'Removes the session-revoking policy revoke-iam-role-sessions attached to an IAM role.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: arnOnly(iamRole, 'The IAM role whose sessions were revoked.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const deactivateAccessKeys: ActionTypeDefinition = {
  type: 'deactivate-access-keys',
  title: 'Deactivate access keys',
  description: 'Makes every active access key of an IAM user inactive; reactivate-access-keys undoes it.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: 'reactivate-access-keys',
  inputs: arnOnly(iamUser, 'The IAM user whose access keys to deactivate.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

export const reactivateAccessKeys: ActionTypeDefinition = {
  type: 'reactivate-access-keys',
  title: 'Reactivate access keys',
  description: 'Reactivates the access keys deactivate-access-keys made inactive.',
  category: 'containment',
  effect: 'preserving',
  executors: ['cloud'],
  undoType: null,
  inputs: arnOnly(iamUser, 'The IAM user whose access keys were deactivated.'),
  executorFor: inCloud,
  resourcesOf: arnOf,
};

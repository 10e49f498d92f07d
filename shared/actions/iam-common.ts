/**
 * What the IAM families share: the IAM client of a member-account session, the principal an
 * IAM ARN names, and one IAM call with its failure turned into a named error.
 */
import { IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import type { Partition } from '#shared/catalogue/index.ts';
import type { CloudTarget } from './cloud-action.ts';
import { InvalidTargetError, TargetNotFoundError, fromAwsError } from './errors.ts';

/** IAM is global; its endpoint lives in one region per partition. */
const iamRegion: Readonly<Record<Partition, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** IAM clients for a member-account session. No endpoint: AWS_ENDPOINT_URL is followed. */
export function createIamClients(session: MemberSession): { readonly iam: IAMClient } {
  return { iam: new IAMClient({ region: iamRegion[session.partition], credentials: session.credentials, maxAttempts: 4 }) };
}

/** An IAM user or role by name, with a label for messages ("IAM user alice"). */
export interface IamPrincipalName {
  readonly name: string;
  readonly label: string;
}

/** The user or role `target` names; anything else is an InvalidTarget. */
export function iamPrincipalOf(target: CloudTarget, type: 'user' | 'role'): IamPrincipalName {
  if (target.service !== 'iam' || target.resourceType !== type) {
    throw new InvalidTargetError(`${target.arn} is not an IAM ${type}`);
  }
  // An IAM ARN's resource is `user/path/name`; the API takes the name alone.
  const name = target.resourceName.split('/').at(-1) ?? target.resourceName;
  return { name, label: `IAM ${type} ${name}` };
}

/** Runs one IAM call, turning its failure into a named error (a missing principal → TargetNotFound). */
export async function iamCall<Result>(
  target: CloudTarget,
  principal: IamPrincipalName,
  operation: string,
  call: () => Promise<Result>,
): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NoSuchEntityException) {
      throw new TargetNotFoundError(`${principal.label} does not exist in account ${target.accountId}`, { cause: error });
    }
    throw fromAwsError(error, { accountId: target.accountId, operation: `${operation} on ${principal.label}` });
  }
}

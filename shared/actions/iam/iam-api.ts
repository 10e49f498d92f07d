/**
 * What the IAM families share: the IAM client of a member-account session, the principal an IAM
 * ARN names, and IAM calls with their failure turned into named errors (a missing principal →
 * TargetNotFound), through the kit's AWS-call wrapper.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import type { Partition } from '#shared/catalogue/index.ts';
import type { CloudTarget } from '../cloud-action.ts';
import { InvalidTargetError } from '../errors.ts';
import { awsAttempt, awsCall, awsPages, type AwsAttempt, type AwsCallSite } from '../kit/aws-call.ts';
import { traced } from '#shared/observability/tracing.ts';

/** IAM is global; its endpoint lives in one region per partition. */
const iamRegion: Readonly<Record<Partition, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

// A type alias, not an interface, so it fits SessionClients' index signature.
export type IamClients = { readonly iam: IAMClient };

/** IAM clients for a member-account session. No endpoint: AWS_ENDPOINT_URL is followed. */
export function createIamClients(session: MemberSession): IamClients {
  return { iam: traced(new IAMClient({ region: iamRegion[session.partition], credentials: session.credentials, maxAttempts: 4 })) };
}

export type IamPrincipalType = 'user' | 'role';

/** An IAM user or role by name, with a label for messages ("IAM user alice"). */
export interface IamPrincipalName {
  readonly type: IamPrincipalType;
  readonly name: string;
  readonly label: string;
}

/** The user or role `target` names, of one of `types`; anything else is an InvalidTarget. */
export function iamPrincipalOf(target: CloudTarget, ...types: IamPrincipalType[]): IamPrincipalName {
  const type = types.find((candidate) => candidate === target.resourceType);
  if (target.service !== 'iam' || type === undefined) {
    throw new InvalidTargetError(`${target.arn} is not an IAM ${types.join(' or ')}`);
  }
  // An IAM ARN's resource is `user/path/name`; the API takes the name alone.
  const name = target.resourceName.split('/').at(-1) ?? target.resourceName;
  return { type, name, label: `IAM ${type} ${name}` };
}

const noSuchEntity = ['NoSuchEntityException', 'NoSuchEntity'];

function iamSite(target: CloudTarget, principal: IamPrincipalName, operation: string): AwsCallSite {
  return {
    accountId: target.accountId,
    operation: `${operation} on ${principal.label}`,
    notFound: (code) => (noSuchEntity.includes(code) ? `${principal.label} does not exist in account ${target.accountId}` : null),
  };
}

/** Runs one IAM call, turning its failure into a named error (a missing principal → TargetNotFound). */
export function iamCall<Result>(target: CloudTarget, principal: IamPrincipalName, operation: string, call: () => Promise<Result>): Promise<Result> {
  return awsCall(iamSite(target, principal, operation), call);
}

/**
 * Runs one IAM call whose NoSuchEntity answer is not an error: IAM says it both for the principal
 * and for what the call names on it (a policy, a key), so the caller looks at the principal again.
 */
export function iamAttempt<Result>(
  target: CloudTarget,
  principal: IamPrincipalName,
  operation: string,
  call: () => Promise<Result>,
): Promise<AwsAttempt<Result>> {
  return awsAttempt(iamSite(target, principal, operation), call, noSuchEntity);
}

/** Every page of a paginated IAM call (the SDK's paginate* functions). */
export function iamPages<Page>(target: CloudTarget, principal: IamPrincipalName, operation: string, pages: () => AsyncIterable<Page>): Promise<Page[]> {
  return awsPages(iamSite(target, principal, operation), pages);
}

/**
 * What revoke-iam-role-sessions and its undo record and read: the role and the inline policy of
 * our name on it, the calls that write and delete that policy, and the drift an undo reports.
 */
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';
import type { CloudActionContext } from '../cloud-action.ts';
import { TargetNotFoundError } from '../errors.ts';
import { iamAttempt, iamCall, type IamClients, type IamPrincipalName } from '../iam/iam-api.ts';

export type SessionsContext = CloudActionContext<IamClients>;

/** The inline policy the revoke writes: recognisable, and distinct from the console's `AWSRevokeOlderSessions`. */
export const revokePolicyName = 'ResponseActionsRevokeOlderSessions';

/**
 * The console's revoke policy: deny every action on every resource to sessions whose token was
 * issued before `revokedBefore`. Long-term credentials carry no `aws:TokenIssueTime`, so the
 * condition never matches them (IAM users are not affected; only role sessions are).
 */
export function revokeOlderSessionsPolicy(revokedBefore: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': revokedBefore } },
      },
    ],
  });
}

const roleSchema = z.object({ name: z.string(), arn: z.string(), id: z.string() });

/** `prior` of both types: the role and the inline policy of our name on it (null when there is none). */
export const roleSessionsStateSchema = z.object({
  role: roleSchema,
  policyName: z.string(),
  policy: z.object({ document: z.string() }).nullable(),
});
export type RoleSessionsState = z.infer<typeof roleSessionsStateSchema>;

export const changeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('PutRolePolicy'), policyName: z.string(), document: z.string() }),
  z.object({ action: z.literal('DeleteRolePolicy'), policyName: z.string() }),
]);
export type Change = z.infer<typeof changeSchema>;

/** IAM returns policy documents URL-encoded (RFC 3986); the decoded text is the document exactly as written. */
function decodePolicyDocument(document: string): string {
  return document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
}

/** The role and our inline policy on it; changes nothing. */
export async function readRoleState(context: SessionsContext, role: IamPrincipalName): Promise<RoleSessionsState> {
  const { iam } = context.clients;
  const { Role: found } = await iamCall(context.target, role, 'iam:GetRole', () => iam.send(new GetRoleCommand({ RoleName: role.name })));
  if (found?.Arn === undefined) {
    throw new TargetNotFoundError(`${role.label} does not exist in account ${context.target.accountId}`);
  }
  return {
    role: { name: role.name, arn: found.Arn, id: found.RoleId ?? '' },
    policyName: revokePolicyName,
    policy: await readRevokePolicy(context, role),
  };
}

/** Our inline policy's document, or null when the role has no inline policy of that name. */
export async function readRevokePolicy(context: SessionsContext, role: IamPrincipalName): Promise<{ document: string } | null> {
  const read = await iamAttempt(context.target, role, 'iam:GetRolePolicy', () =>
    context.clients.iam.send(new GetRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName })),
  );
  return !read.ok || read.value.PolicyDocument === undefined ? null : { document: decodePolicyDocument(read.value.PolicyDocument) };
}

export async function putRevokePolicy(context: SessionsContext, role: IamPrincipalName, document: string): Promise<void> {
  await iamCall(context.target, role, 'iam:PutRolePolicy', () =>
    context.clients.iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName, PolicyDocument: document })),
  );
}

/** Deletes our inline policy; false when it was not there (any more). */
export async function deleteRevokePolicy(context: SessionsContext, role: IamPrincipalName): Promise<boolean> {
  const deleted = await iamAttempt(context.target, role, 'iam:DeleteRolePolicy', () =>
    context.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName })),
  );
  if (deleted.ok) return true;
  // NoSuchEntity is either the role or the policy: a role that is still there means the latter.
  await readRoleState(context, role);
  return false;
}

/** Two policy documents say the same when their JSON is equal, whatever the key order or whitespace. */
export function samePolicyDocument(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a) as JsonValue) === canonicalJson(JSON.parse(b) as JsonValue);
  } catch {
    return a === b;
  }
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The policy the revoke wrote, from its `applied`; null when it wrote none. */
export function writtenPolicy(changes: readonly Change[]): Extract<Change, { action: 'PutRolePolicy' }> | null {
  return changes.find((change): change is Extract<Change, { action: 'PutRolePolicy' }> => change.action === 'PutRolePolicy') ?? null;
}

/** What the role's policy of our name is now, compared with what the revoke wrote. */
type PolicyDrift = 'asWritten' | 'changedSince' | 'removedSince' | 'nothingWritten';

export function policyDrift(written: { document: string } | null, now: { document: string } | null): PolicyDrift {
  if (written === null) return 'nothingWritten';
  if (now === null) return 'removedSince';
  return samePolicyDocument(now.document, written.document) ? 'asWritten' : 'changedSince';
}

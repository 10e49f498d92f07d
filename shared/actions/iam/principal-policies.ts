/**
 * What iam-quarantine and its undo record and read: the principal and every policy on it, and
 * the calls that attach and detach a managed policy. The drift an undo reports is pure.
 */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListRolePolicies,
  paginateListUserPolicies,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { Partition } from '#shared/catalogue/index.ts';
import type { JsonObject } from '#shared/json.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import type { CloudActionContext } from '../cloud-action.ts';
import { TargetNotFoundError } from '../errors.ts';
import { iamAttempt, iamCall, iamPages, type IamClients, type IamPrincipalName } from './iam-api.ts';

export type IamContext = CloudActionContext<IamClients>;

/** AWS's managed policy that denies every action: `arn:<partition>:iam::aws:policy/AWSDenyAll`. */
export function denyAllPolicyArn(partition: Partition): string {
  return `arn:${partition}:iam::aws:policy/AWSDenyAll`;
}

const attachedPolicySchema = z.object({ policyArn: z.string(), policyName: z.string() });

/** What capture records as `prior`: the principal and every policy on it. */
export const principalStateSchema = z.object({
  principal: z.object({ type: z.enum(['user', 'role']), name: z.string(), arn: z.string(), id: z.string() }),
  attachedPolicies: z.array(attachedPolicySchema),
  inlinePolicyNames: z.array(z.string()),
});
export type PrincipalState = z.infer<typeof principalStateSchema>;

/** One change in `applied`: exactly a policy this action attached or detached. */
export const policyChangeSchema = z.object({ action: z.enum(['AttachPolicy', 'DetachPolicy']), policyArn: z.string() });
export type PolicyChange = z.infer<typeof policyChangeSchema>;

/** A policy on a principal, as drift reports it. */
type PolicyRef = { policyArn: string } | { inlinePolicyName: string };

/** Reads the principal and every policy on it; changes nothing. */
export async function readPrincipal(context: IamContext, principal: IamPrincipalName): Promise<PrincipalState> {
  const { iam } = context.clients;
  const { target } = context;
  const UserName = principal.name;
  const RoleName = principal.name;
  const client = { client: iam };
  const found =
    principal.type === 'user'
      ? (await iamCall(target, principal, 'iam:GetUser', () => iam.send(new GetUserCommand({ UserName })))).User
      : (await iamCall(target, principal, 'iam:GetRole', () => iam.send(new GetRoleCommand({ RoleName })))).Role;
  if (found?.Arn === undefined) {
    throw new TargetNotFoundError(`${principal.label} does not exist in account ${target.accountId}`);
  }
  const attachedPages =
    principal.type === 'user'
      ? await iamPages(target, principal, 'iam:ListAttachedUserPolicies', () => paginateListAttachedUserPolicies(client, { UserName }))
      : await iamPages(target, principal, 'iam:ListAttachedRolePolicies', () => paginateListAttachedRolePolicies(client, { RoleName }));
  const inlinePages =
    principal.type === 'user'
      ? await iamPages(target, principal, 'iam:ListUserPolicies', () => paginateListUserPolicies(client, { UserName }))
      : await iamPages(target, principal, 'iam:ListRolePolicies', () => paginateListRolePolicies(client, { RoleName }));
  const id = 'UserId' in found ? found.UserId : 'RoleId' in found ? found.RoleId : undefined;
  return {
    principal: { type: principal.type, name: principal.name, arn: found.Arn, id: id ?? '' },
    attachedPolicies: attachedPages.flatMap((page) =>
      (page.AttachedPolicies ?? []).flatMap((policy) =>
        policy.PolicyArn === undefined ? [] : [{ policyArn: policy.PolicyArn, policyName: policy.PolicyName ?? '' }],
      ),
    ),
    inlinePolicyNames: inlinePages.flatMap((page) => page.PolicyNames ?? []),
  };
}

export async function attachPolicy(context: IamContext, principal: IamPrincipalName, PolicyArn: string): Promise<void> {
  const { iam } = context.clients;
  if (principal.type === 'user') {
    await iamCall(context.target, principal, 'iam:AttachUserPolicy', () => iam.send(new AttachUserPolicyCommand({ UserName: principal.name, PolicyArn })));
  } else {
    await iamCall(context.target, principal, 'iam:AttachRolePolicy', () => iam.send(new AttachRolePolicyCommand({ RoleName: principal.name, PolicyArn })));
  }
}

/** Detaches a policy; false when it was not attached (any more). */
export async function detachPolicy(context: IamContext, principal: IamPrincipalName, PolicyArn: string): Promise<boolean> {
  const { iam } = context.clients;
  const detached =
    principal.type === 'user'
      ? await iamAttempt(context.target, principal, 'iam:DetachUserPolicy', () => iam.send(new DetachUserPolicyCommand({ UserName: principal.name, PolicyArn })))
      : await iamAttempt(context.target, principal, 'iam:DetachRolePolicy', () => iam.send(new DetachRolePolicyCommand({ RoleName: principal.name, PolicyArn })));
  if (detached.ok) return true;
  // NoSuchEntity is either the principal or the attachment: a principal that is still there means the latter.
  await readPrincipal(context, principal);
  return false;
}

/** The attach or detach call a plan lists: `iam:AttachUserPolicy` on the principal, `attach AWSDenyAll (arn) to IAM user alice`. */
export function plannedPolicyCall(verb: 'Attach' | 'Detach', principal: IamPrincipalName, principalArn: string, policyArn: string): PlannedChange {
  const policyName = policyArn.split('/').at(-1) ?? policyArn;
  return {
    call: `iam:${verb}${principal.type === 'user' ? 'User' : 'Role'}Policy`,
    target: principalArn,
    detail: `${verb.toLowerCase()} ${policyName} (${policyArn}) ${verb === 'Attach' ? 'to' : 'from'} ${principal.label}`,
  };
}

/**
 * What changed on the principal between the quarantine and its undo: policies attached or
 * removed since, against what the quarantine left (what was there plus what it attached), and
 * whether the principal was deleted and made again under the same name.
 */
export function quarantineDrift(quarantinePrior: PrincipalState, quarantineChanges: readonly PolicyChange[], now: PrincipalState): JsonObject {
  const attachedNow = new Set(now.attachedPolicies.map((policy) => policy.policyArn));
  const leftAttached = new Set([
    ...quarantinePrior.attachedPolicies.map((policy) => policy.policyArn),
    ...quarantineChanges.filter((change) => change.action === 'AttachPolicy').map((change) => change.policyArn),
  ]);
  const inlineNow = new Set(now.inlinePolicyNames);
  const inlineLeft = new Set(quarantinePrior.inlinePolicyNames);
  const addedSince: PolicyRef[] = [
    ...[...attachedNow].filter((arn) => !leftAttached.has(arn)).map((policyArn) => ({ policyArn })),
    ...[...inlineNow].filter((name) => !inlineLeft.has(name)).map((inlinePolicyName) => ({ inlinePolicyName })),
  ];
  const removedSince: PolicyRef[] = [
    ...[...leftAttached].filter((arn) => !attachedNow.has(arn)).map((policyArn) => ({ policyArn })),
    ...[...inlineLeft].filter((name) => !inlineNow.has(name)).map((inlinePolicyName) => ({ inlinePolicyName })),
  ];
  return {
    addedSince,
    removedSince,
    ...(now.principal.id !== quarantinePrior.principal.id && quarantinePrior.principal.id !== '' ? { principalRecreated: true } : {}),
  };
}

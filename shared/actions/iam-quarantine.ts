/**
 * The IAM family: iam-quarantine attaches AWS's managed deny-all policy to a user or role, and
 * its undo iam-unquarantine detaches exactly what the quarantine attached.
 */
import type {
  IAMClient} from '@aws-sdk/client-iam';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { Partition } from '#shared/catalogue/index.ts';
import type { JsonValue } from '#shared/json.ts';
import type { CloudAction, CloudActionContext, CloudActionFamily, CloudTarget } from './cloud-action.ts';
import {
  ChangeNotVisibleError,
  InvalidTargetError,
  TargetNotFoundError,
  UndoSourceMissingError,
  fromAwsError,
} from './errors.ts';
import { createIamClients } from './iam-common.ts';

// A type alias, not an interface, so it fits SessionClients' index signature.
export type IamClients = { readonly iam: IAMClient };

type IamContext = CloudActionContext<IamClients>;

/** AWS's managed policy that denies every action: `arn:<partition>:iam::aws:policy/AWSDenyAll`. */
export function denyAllPolicyArn(partition: Partition): string {
  return `arn:${partition}:iam::aws:policy/AWSDenyAll`;
}

const attachedPolicySchema = z.object({ policyArn: z.string(), policyName: z.string() });

/** What capture records as `prior`: the principal and every policy on it. */
const principalStateSchema = z.object({
  principal: z.object({ type: z.enum(['user', 'role']), name: z.string(), arn: z.string(), id: z.string() }),
  attachedPolicies: z.array(attachedPolicySchema),
  inlinePolicyNames: z.array(z.string()),
});
type PrincipalState = z.infer<typeof principalStateSchema>;

/** What apply records as `applied`: exactly the policies this action attached or detached. */
const appliedSchema = z.object({
  changes: z.array(z.object({ action: z.enum(['AttachPolicy', 'DetachPolicy']), policyArn: z.string() })),
});
type Applied = z.infer<typeof appliedSchema>;

/** A policy on a principal, as drift reports it. */
type PolicyRef = { policyArn: string } | { inlinePolicyName: string };

interface Principal {
  readonly type: 'user' | 'role';
  readonly name: string;
  /** "IAM user alice", for messages. */
  readonly label: string;
}

function principalOf(target: CloudTarget): Principal {
  if (target.service !== 'iam' || (target.resourceType !== 'user' && target.resourceType !== 'role')) {
    throw new InvalidTargetError(`${target.arn} is not an IAM user or role`);
  }
  // An IAM ARN's resource is `user/path/name`; the API takes the name alone.
  const name = target.resourceName.split('/').at(-1) ?? target.resourceName;
  return { type: target.resourceType, name, label: `IAM ${target.resourceType} ${name}` };
}

/** Runs one IAM call, turning its failure into a named error (missing principal → TargetNotFound). */
async function iamCall<Result>(
  context: IamContext,
  principal: Principal,
  operation: string,
  call: () => Promise<Result>,
): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NoSuchEntityException) {
      throw new TargetNotFoundError(`${principal.label} does not exist in account ${context.target.accountId}`, { cause: error });
    }
    throw fromAwsError(error, { accountId: context.target.accountId, operation: `${operation} on ${principal.label}` });
  }
}

/** Reads the principal and every policy on it; changes nothing. */
async function readPrincipal(context: IamContext, principal: Principal): Promise<PrincipalState> {
  const { iam } = context.clients;
  const UserName = principal.name;
  const RoleName = principal.name;
  const found =
    principal.type === 'user'
      ? (await iamCall(context, principal, 'iam:GetUser', () => iam.send(new GetUserCommand({ UserName })))).User
      : (await iamCall(context, principal, 'iam:GetRole', () => iam.send(new GetRoleCommand({ RoleName })))).Role;
  if (found?.Arn === undefined) {
    throw new TargetNotFoundError(`${principal.label} does not exist in account ${context.target.accountId}`);
  }
  const attachedPolicies: PrincipalState['attachedPolicies'] = [];
  const inlinePolicyNames: string[] = [];
  let marker: string | undefined;
  do {
    const Marker: string | undefined = marker;
    const page =
      principal.type === 'user'
        ? await iamCall(context, principal, 'iam:ListAttachedUserPolicies', () =>
            iam.send(new ListAttachedUserPoliciesCommand({ UserName, Marker })),
          )
        : await iamCall(context, principal, 'iam:ListAttachedRolePolicies', () =>
            iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker })),
          );
    for (const policy of page.AttachedPolicies ?? []) {
      if (policy.PolicyArn !== undefined) {
        attachedPolicies.push({ policyArn: policy.PolicyArn, policyName: policy.PolicyName ?? '' });
      }
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  do {
    const Marker: string | undefined = marker;
    const page: { PolicyNames?: string[]; IsTruncated?: boolean; Marker?: string } =
      principal.type === 'user'
        ? await iamCall(context, principal, 'iam:ListUserPolicies', () => iam.send(new ListUserPoliciesCommand({ UserName, Marker })))
        : await iamCall(context, principal, 'iam:ListRolePolicies', () => iam.send(new ListRolePoliciesCommand({ RoleName, Marker })));
    inlinePolicyNames.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  const id = 'UserId' in found ? found.UserId : 'RoleId' in found ? found.RoleId : undefined;
  return {
    principal: { type: principal.type, name: principal.name, arn: found.Arn, id: id ?? '' },
    attachedPolicies,
    inlinePolicyNames,
  };
}

async function attachPolicy(context: IamContext, principal: Principal, PolicyArn: string): Promise<void> {
  const { iam } = context.clients;
  if (principal.type === 'user') {
    await iamCall(context, principal, 'iam:AttachUserPolicy', () =>
      iam.send(new AttachUserPolicyCommand({ UserName: principal.name, PolicyArn })),
    );
  } else {
    await iamCall(context, principal, 'iam:AttachRolePolicy', () =>
      iam.send(new AttachRolePolicyCommand({ RoleName: principal.name, PolicyArn })),
    );
  }
}

/** Detaches a policy; false when it was not attached (any more). */
async function detachPolicy(context: IamContext, principal: Principal, PolicyArn: string): Promise<boolean> {
  const { iam } = context.clients;
  try {
    if (principal.type === 'user') {
      await iam.send(new DetachUserPolicyCommand({ UserName: principal.name, PolicyArn }));
    } else {
      await iam.send(new DetachRolePolicyCommand({ RoleName: principal.name, PolicyArn }));
    }
    return true;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) {
      const operation = principal.type === 'user' ? 'iam:DetachUserPolicy' : 'iam:DetachRolePolicy';
      throw fromAwsError(error, { accountId: context.target.accountId, operation: `${operation} on ${principal.label}` });
    }
    // NoSuchEntity is either the principal or the attachment: a principal that is still there means the latter.
    await readPrincipal(context, principal);
    return false;
  }
}

function parsePrior(record: { id: string; prior: JsonValue | null }): PrincipalState {
  const parsed = principalStateSchema.safeParse(record.prior);
  if (!parsed.success) {
    throw new UndoSourceMissingError(`action ${record.id} recorded no IAM principal state, so there is nothing to compare or reverse`);
  }
  return parsed.data;
}

function parseApplied(record: { id: string; applied: JsonValue | null }): Applied {
  if (record.applied === null) return { changes: [] };
  const parsed = appliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded changes this service cannot read`);
  return parsed.data;
}

function objectResult(result: JsonValue | null): { [key: string]: JsonValue } {
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? result : {};
}

/** iam-quarantine: attaches AWSDenyAll unless the principal already has it. */
export const iamQuarantine: CloudAction<IamClients> = {
  type: 'iam-quarantine',

  async capture(context) {
    const prior = await readPrincipal(context, principalOf(context.target));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const principal = principalOf(context.target);
    const policyArn = denyAllPolicyArn(context.target.partition);
    // Decided on `prior` (the first capture), not on what is attached now: a retried apply
    // after its own attach must still record that attach, never "nothing changed".
    const prior = parsePrior(context.record);
    if (prior.attachedPolicies.some((policy) => policy.policyArn === policyArn)) {
      await context.recordProgress({
        applied: { changes: [] },
        result: {
          principal: principal.label,
          denyAllPolicyArn: policyArn,
          alreadyDenied: true,
          message: `AWSDenyAll was already attached to ${principal.label} before this action; nothing was changed`,
        },
      });
      return { pending: false };
    }
    await attachPolicy(context, principal, policyArn);
    await context.recordProgress({
      applied: { changes: [{ action: 'AttachPolicy', policyArn }] },
      result: { principal: principal.label, denyAllPolicyArn: policyArn, alreadyDenied: false },
    });
    return { pending: false };
  },

  async verify(context) {
    const principal = principalOf(context.target);
    const policyArn = denyAllPolicyArn(context.target.partition);
    const now = await readPrincipal(context, principal);
    if (!now.attachedPolicies.some((policy) => policy.policyArn === policyArn)) {
      throw new ChangeNotVisibleError(`AWSDenyAll is not listed on ${principal.label} yet`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** iam-unquarantine: detaches only what its quarantine attached, reporting drift first. */
export const iamUnquarantine: CloudAction<IamClients> = {
  type: 'iam-unquarantine',
  undoes: 'iam-quarantine',

  async capture(context) {
    const quarantine = undoSource(context);
    const quarantinePrior = parsePrior(quarantine);
    const quarantineApplied = parseApplied(quarantine);
    const now = await readPrincipal(context, principalOf(context.target));
    const attachedNow = new Set(now.attachedPolicies.map((policy) => policy.policyArn));
    const leftAttached = new Set([
      ...quarantinePrior.attachedPolicies.map((policy) => policy.policyArn),
      ...quarantineApplied.changes.filter((change) => change.action === 'AttachPolicy').map((change) => change.policyArn),
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
    const drift: JsonValue = {
      addedSince,
      removedSince,
      ...(now.principal.id !== quarantinePrior.principal.id && quarantinePrior.principal.id !== ''
        ? { principalRecreated: true }
        : {}),
    };
    // The undo's own prior is the principal as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { principal: principalOf(context.target).label, drift } });
  },

  async apply(context) {
    const principal = principalOf(context.target);
    const quarantine = undoSource(context);
    const toDetach = parseApplied(quarantine)
      .changes.filter((change) => change.action === 'AttachPolicy')
      .map((change) => change.policyArn);
    // A retried apply keeps what an earlier attempt of this undo already detached.
    const detached = parseApplied(context.record)
      .changes.filter((change) => change.action === 'DetachPolicy')
      .map((change) => change.policyArn);
    const alreadyDetached: string[] = [];
    const before = parsePrior(context.record);
    const result = objectResult(context.record.result);
    for (const policyArn of toDetach) {
      if (detached.includes(policyArn)) continue;
      const attached = before.attachedPolicies.some((policy) => policy.policyArn === policyArn);
      if (attached && (await detachPolicy(context, principal, policyArn))) {
        detached.push(policyArn);
        await context.recordProgress({ applied: detachChanges(detached) });
      } else {
        // Someone detached it by hand since the quarantine: reported, not an error.
        alreadyDetached.push(policyArn);
      }
    }
    await context.recordProgress({ applied: detachChanges(detached), result: { ...result, detached, alreadyDetached } });
    return { pending: false };
  },

  async verify(context) {
    const principal = principalOf(context.target);
    const detached = parseApplied(context.record).changes.map((change) => change.policyArn);
    const now = await readPrincipal(context, principal);
    const still = now.attachedPolicies.filter((policy) => detached.includes(policy.policyArn));
    if (still.length > 0) {
      throw new ChangeNotVisibleError(
        `${still.map((policy) => policy.policyArn).join(', ')} still listed on ${principal.label} after detaching`,
      );
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

function detachChanges(policyArns: readonly string[]): JsonValue {
  return { changes: policyArns.map((policyArn) => ({ action: 'DetachPolicy', policyArn })) };
}

function undoSource(context: IamContext): { id: string; prior: JsonValue | null; applied: JsonValue | null } {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

/** The IAM family; its function needs iam:Get*, iam:List*, iam:Attach*Policy and iam:Detach*Policy in member accounts. */
export const iamFamily: CloudActionFamily<IamClients> = {
  name: 'iam',
  actions: [iamQuarantine, iamUnquarantine],
  // No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must.
  createClients: createIamClients,
};

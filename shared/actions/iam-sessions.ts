/**
 * The IAM sessions family: revoke-iam-role-sessions puts an inline policy on a role that denies
 * everything to every session issued before now, exactly as the IAM console's "Revoke active
 * sessions" does (its `AWSRevokeOlderSessions` policy, here under a name of our own), and its undo
 * restore-iam-role-sessions puts the role back as it was: it deletes that policy, or, when a policy
 * of that name was there before the revoke, puts back that document.
 *
 * A revoke on a role that already carries our policy still writes it: a later cut-off is a new
 * change (sessions issued since the earlier revoke are cut off too), and `prior` keeps the earlier
 * document so the undo can put it back.
 */
import type {
  IAMClient} from '@aws-sdk/client-iam';
import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';
import type { CloudAction, CloudActionContext, CloudActionFamily } from './cloud-action.ts';
import { createIamClients, iamCall, iamPrincipalOf, type IamPrincipalName } from './iam-common.ts';

export { createIamClients };
import {
  ChangeNotVisibleError,
  TargetNotFoundError,
  UndoSourceMissingError,
  fromAwsError,
} from './errors.ts';

// A type alias, not an interface, so it fits SessionClients' index signature.
export type IamSessionsClients = { readonly iam: IAMClient };

type SessionsContext = CloudActionContext<IamSessionsClients>;

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
const roleSessionsStateSchema = z.object({
  role: roleSchema,
  policyName: z.string(),
  policy: z.object({ document: z.string() }).nullable(),
});
type RoleSessionsState = z.infer<typeof roleSessionsStateSchema>;

const changeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('PutRolePolicy'), policyName: z.string(), document: z.string() }),
  z.object({ action: z.literal('DeleteRolePolicy'), policyName: z.string() }),
]);
/** `applied` of both types: exactly the inline policy writes this action made. */
const appliedSchema = z.object({ changes: z.array(changeSchema) });
type Applied = z.infer<typeof appliedSchema>;
type Change = z.infer<typeof changeSchema>;

/** IAM returns policy documents URL-encoded (RFC 3986); the decoded text is the document exactly as written. */
function decodePolicyDocument(document: string): string {
  return document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
}

/** The role and our inline policy on it; changes nothing. */
async function readRoleState(context: SessionsContext, role: IamPrincipalName): Promise<RoleSessionsState> {
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
async function readRevokePolicy(context: SessionsContext, role: IamPrincipalName): Promise<{ document: string } | null> {
  try {
    const { PolicyDocument } = await context.clients.iam.send(
      new GetRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName }),
    );
    return PolicyDocument === undefined ? null : { document: decodePolicyDocument(PolicyDocument) };
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) {
      throw fromAwsError(error, { accountId: context.target.accountId, operation: `iam:GetRolePolicy on ${role.label}` });
    }
    return null;
  }
}

async function putRevokePolicy(context: SessionsContext, role: IamPrincipalName, document: string): Promise<void> {
  await iamCall(context.target, role, 'iam:PutRolePolicy', () =>
    context.clients.iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName, PolicyDocument: document })),
  );
}

/** Deletes our inline policy; false when it was not there (any more). */
async function deleteRevokePolicy(context: SessionsContext, role: IamPrincipalName): Promise<boolean> {
  try {
    await context.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: revokePolicyName }));
    return true;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) {
      throw fromAwsError(error, { accountId: context.target.accountId, operation: `iam:DeleteRolePolicy on ${role.label}` });
    }
    // NoSuchEntity is either the role or the policy: a role that is still there means the latter.
    await readRoleState(context, role);
    return false;
  }
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

function parseState(record: { id: string; prior: JsonValue | null }): RoleSessionsState {
  const parsed = roleSessionsStateSchema.safeParse(record.prior);
  if (!parsed.success) {
    throw new UndoSourceMissingError(`action ${record.id} recorded no IAM role session state, so there is nothing to compare or reverse`);
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

function undoSource(context: SessionsContext): { id: string; prior: JsonValue | null; applied: JsonValue | null } {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

/** The policy the revoke wrote, from its `applied`; null when it wrote none. */
function writtenPolicy(applied: Applied): Extract<Change, { action: 'PutRolePolicy' }> | null {
  return applied.changes.find((change): change is Extract<Change, { action: 'PutRolePolicy' }> => change.action === 'PutRolePolicy') ?? null;
}

/** revoke-iam-role-sessions: denies everything to the role's sessions issued before now. */
export const revokeIamRoleSessions: CloudAction<IamSessionsClients> = {
  type: 'revoke-iam-role-sessions',

  async capture(context) {
    const prior = await readRoleState(context, iamPrincipalOf(context.target, 'role'));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const prior = parseState(context.record);
    const revokedBefore = context.clock.now().toISOString();
    const document = revokeOlderSessionsPolicy(revokedBefore);
    await putRevokePolicy(context, role, document);
    await context.recordProgress({
      applied: { changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document }] },
      result: {
        role: role.label,
        policyName: revokePolicyName,
        revokedBefore,
        // A policy of our name was there before (an earlier revoke): the undo puts its document back.
        replacedPolicy: prior.policy !== null,
      },
    });
    return { pending: false };
  },

  async verify(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const written = writtenPolicy(parseApplied(context.record));
    const now = await readRevokePolicy(context, role);
    if (written === null || now === null || !samePolicyDocument(now.document, written.document)) {
      throw new ChangeNotVisibleError(`${revokePolicyName} on ${role.label} does not read back as written yet`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** What the role's policy of our name is now, compared with what the revoke wrote. */
type PolicyDrift = 'asWritten' | 'changedSince' | 'removedSince' | 'nothingWritten';

function policyDrift(written: { document: string } | null, now: { document: string } | null): PolicyDrift {
  if (written === null) return 'nothingWritten';
  if (now === null) return 'removedSince';
  return samePolicyDocument(now.document, written.document) ? 'asWritten' : 'changedSince';
}

/**
 * restore-iam-role-sessions: deletes the policy the revoke wrote, or puts back the document a
 * policy of that name had before the revoke. A policy someone removed or changed since is
 * reported as drift and left as found: it is no longer what the revoke wrote.
 */
export const restoreIamRoleSessions: CloudAction<IamSessionsClients> = {
  type: 'restore-iam-role-sessions',
  undoes: 'revoke-iam-role-sessions',

  async capture(context) {
    const revoke = undoSource(context);
    const revokePrior = parseState(revoke);
    const written = writtenPolicy(parseApplied(revoke));
    const now = await readRoleState(context, iamPrincipalOf(context.target, 'role'));
    const drift: { [key: string]: JsonValue } = {
      policy: policyDrift(written, now.policy),
      ...(now.policy !== null && written !== null && !samePolicyDocument(now.policy.document, written.document)
        ? { documentNow: now.policy.document }
        : {}),
      ...(revokePrior.role.id !== '' && now.role.id !== revokePrior.role.id ? { roleRecreated: true } : {}),
    };
    // The undo's own prior is the role as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { role: iamPrincipalOf(context.target, 'role').label, policyName: revokePolicyName, drift } });
  },

  async apply(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const revoke = undoSource(context);
    const revokePrior = parseState(revoke);
    const written = writtenPolicy(parseApplied(revoke));
    const result = objectResult(context.record.result);
    // A retried apply keeps what an earlier attempt of this undo already did.
    const done = parseApplied(context.record);
    if (done.changes.length > 0) return { pending: false };
    const before = parseState(context.record);
    const drift = policyDrift(written, before.policy);
    if (drift !== 'asWritten') {
      const restored = drift === 'nothingWritten' ? 'nothingToRestore' : 'leftAsFound';
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored } });
      return { pending: false };
    }
    if (revokePrior.policy !== null) {
      // Exact prior state: the role had a policy of this name before the revoke; its document goes back.
      await putRevokePolicy(context, role, revokePrior.policy.document);
      await context.recordProgress({
        applied: { changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document: revokePrior.policy.document }] },
        result: { ...result, restored: 'priorPolicyPutBack' },
      });
      return { pending: false };
    }
    if (await deleteRevokePolicy(context, role)) {
      await context.recordProgress({
        applied: { changes: [{ action: 'DeleteRolePolicy', policyName: revokePolicyName }] },
        result: { ...result, restored: 'policyDeleted' },
      });
    } else {
      // Removed by someone between this undo's capture and its apply: reported, not an error.
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: 'alreadyRemoved' } });
    }
    return { pending: false };
  },

  async verify(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const [change] = parseApplied(context.record).changes;
    if (change !== undefined) {
      const now = await readRevokePolicy(context, role);
      const visible =
        change.action === 'DeleteRolePolicy' ? now === null : now !== null && samePolicyDocument(now.document, change.document);
      if (!visible) throw new ChangeNotVisibleError(`${revokePolicyName} on ${role.label} does not read back as restored yet`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/**
 * The IAM sessions family. In member accounts its function needs iam:GetRole, iam:GetRolePolicy,
 * iam:PutRolePolicy and iam:DeleteRolePolicy on roles (IAM has no condition key for an inline
 * policy's name, so the name is fixed in code, not in the policy).
 */
export const iamSessionsFamily: CloudActionFamily<IamSessionsClients> = {
  name: 'iam-sessions',
  actions: [revokeIamRoleSessions, restoreIamRoleSessions],
  createClients: createIamClients,
};

/**
 * IAM and STS helpers for tests against moto_server: a front for moto that counts requests and
 * checks AssumeRole the way AWS does, member-role and principal fixtures, and the policy
 * documents of a principal for @cloud-copilot/iam-simulate.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  EntityAlreadyExistsException,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import { emulatorCredentials } from './history-store.ts';

/** moto's default account: the one its default credentials act in. */
export const motoAccountId = '123456789012';

/** An IAM client straight to moto (not through the front), as the test's own admin. */
export function motoIamClient(motoEndpoint: string): IAMClient {
  return new IAMClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: emulatorCredentials });
}

/** One request the front received: its query action and parameters. */
export interface MotoRequest {
  readonly action: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export interface MotoFront {
  /** Point AWS_ENDPOINT_URL here. */
  readonly endpoint: string;
  /** Requests received so far, in order (`AssumeRole`, `GetUser`, ...). */
  readonly requests: readonly MotoRequest[];
  close(): Promise<void>;
}

/**
 * A front for moto_server that forwards everything and records each request's action, so a
 * test can prove that no call was made. It also refuses AssumeRole as AWS would where moto
 * does not: moto hands out credentials for any role ARN, while AWS answers AccessDenied when
 * the role does not exist or its trust policy's sts:ExternalId condition is not met.
 */
export async function startMotoFront(motoEndpoint: string): Promise<MotoFront> {
  const requests: MotoRequest[] = [];
  const iam = motoIamClient(motoEndpoint);
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action') ?? request.headers['x-amz-target']?.toString() ?? `${request.method ?? ''} ${request.url ?? ''}`;
    requests.push({ action, parameters: Object.fromEntries(form.entries()) });
    if (action === 'AssumeRole') {
      const refusal = await assumeRoleRefusal(iam, form.get('RoleArn') ?? '', form.get('ExternalId'));
      if (refusal !== null) {
        response.writeHead(403, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${refusal}</Message></Error><RequestId>moto-front</RequestId></ErrorResponse>`,
        );
        return;
      }
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const upstream = await fetch(`${motoEndpoint}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    const answerHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) answerHeaders[name] = value;
    });
    response.writeHead(upstream.status, answerHeaders);
    response.end(answer);
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => {
    resolve();
  }));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      iam.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => {
        resolve();
      }));
    },
  };
}

/** Why AWS would refuse this AssumeRole, or null when it would not. */
async function assumeRoleRefusal(iam: IAMClient, roleArn: string, externalId: string | null): Promise<string | null> {
  const denied = `User: arn:aws:iam::${motoAccountId}:user/moto is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  if (match?.[1] !== motoAccountId || match[2] === undefined) return denied;
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: match[2] }));
    const trust = parsePolicyDocument(Role?.AssumeRolePolicyDocument ?? '{}');
    const statements = Array.isArray(trust['Statement']) ? (trust['Statement'] as unknown[]) : [trust['Statement']];
    const required = statements
      .map((statement) => (statement as { Condition?: { StringEquals?: Record<string, unknown> } } | undefined)?.Condition?.StringEquals?.['sts:ExternalId'])
      .filter((value) => value !== undefined);
    if (required.length > 0 && !required.includes(externalId)) return denied;
    return null;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return denied;
    throw error;
  }
}

/** IAM returns policy documents URL-encoded; moto sometimes does not. */
export function parsePolicyDocument(document: string): Record<string, unknown> {
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A member role, trusting the service's account and demanding the external id. */
export async function createMemberRole(iam: IAMClient, roleName: string, externalId: string): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${motoAccountId}:root` },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': externalId } },
          },
        ],
      }),
    }),
  );
  return Role?.Arn ?? '';
}

/**
 * Every family's member role (`<memberRoleName>-<family>`, as the member-account stack deploys
 * them), each demanding the external id; roles that already exist are kept. Returns family → ARN.
 */
export async function createMemberRoles(
  iam: IAMClient,
  memberRoleName: string,
  externalId: string,
  families: readonly string[] = cloudActionFamilyDeployments.map((family) => family.name),
): Promise<Record<string, string>> {
  const arns: Record<string, string> = {};
  for (const family of families) {
    const roleName = memberRoleNameOf(memberRoleName, family);
    arns[family] = await createMemberRole(iam, roleName, externalId).catch((error: unknown) => {
      if (error instanceof EntityAlreadyExistsException) return `arn:aws:iam::${motoAccountId}:role/${roleName}`;
      throw error;
    });
  }
  return arns;
}

export async function createUser(iam: IAMClient, userName: string): Promise<string> {
  const { User } = await iam.send(new CreateUserCommand({ UserName: userName }));
  return User?.Arn ?? '';
}

export async function createRole(iam: IAMClient, roleName: string): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  return Role?.Arn ?? '';
}

/** A customer managed policy allowing the actions the simulations ask about. */
export async function createWorkPolicy(iam: IAMClient, policyName: string): Promise<string> {
  const { Policy } = await iam.send(
    new CreatePolicyCommand({
      PolicyName: policyName,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'iam:CreateUser', 'sts:AssumeRole'], Resource: '*' }],
      }),
    }),
  );
  return Policy?.Arn ?? '';
}

export async function attachUserPolicy(iam: IAMClient, userName: string, policyArn: string): Promise<void> {
  await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
}

/** Every attached managed policy ARN of a user or role, sorted. */
export async function attachedPolicyArns(iam: IAMClient, principal: { type: 'user' | 'role'; name: string }): Promise<string[]> {
  const { AttachedPolicies } =
    principal.type === 'user'
      ? await iam.send(new ListAttachedUserPoliciesCommand({ UserName: principal.name }))
      : await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: principal.name }));
  return (AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '').sort();
}

/** The identity policies in force on a principal: each attached policy's default version, and every inline policy. */
export async function identityPolicies(
  iam: IAMClient,
  principal: { type: 'user' | 'role'; name: string },
): Promise<SimulationIdentityPolicy[]> {
  const policies: SimulationIdentityPolicy[] = [];
  for (const policyArn of await attachedPolicyArns(iam, principal)) {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy?.DefaultVersionId ?? 'v1' }));
    policies.push({ name: policyArn, policy: parsePolicyDocument(PolicyVersion?.Document ?? '{}') });
  }
  const { PolicyNames } =
    principal.type === 'user'
      ? await iam.send(new ListUserPoliciesCommand({ UserName: principal.name }))
      : await iam.send(new ListRolePoliciesCommand({ RoleName: principal.name }));
  for (const policyName of PolicyNames ?? []) {
    const { PolicyDocument } =
      principal.type === 'user'
        ? await iam.send(new GetUserPolicyCommand({ UserName: principal.name, PolicyName: policyName }))
        : await iam.send(new GetRolePolicyCommand({ RoleName: principal.name, PolicyName: policyName }));
    policies.push({ name: `inline:${policyName}`, policy: parsePolicyDocument(PolicyDocument ?? '{}') });
  }
  return policies;
}

/** The requests the simulations ask about: reading data, creating identities, assuming roles. */
export const probeRequests = [
  { action: 's3:GetObject', resource: 'arn:aws:s3:::evidence-bucket/report.txt' },
  { action: 'iam:CreateUser', resource: `arn:aws:iam::${motoAccountId}:user/intruder` },
  { action: 'sts:AssumeRole', resource: `arn:aws:iam::${motoAccountId}:role/admin` },
] as const;

/** The simulated decision ('Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied') of each probe request for a principal's policies. */
export async function simulateProbes(principalArn: string, policies: SimulationIdentityPolicy[]): Promise<Record<string, string>> {
  const decisions: Record<string, string> = {};
  for (const probe of probeRequests) {
    const simulation = await runSimulation(
      {
        identityPolicies: policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          principal: principalArn,
          action: probe.action,
          resource: { resource: probe.resource, accountId: motoAccountId },
          contextVariables: {},
        },
      },
      {},
    );
    if (simulation.resultType === 'error') {
      throw new Error(`simulation of ${probe.action} failed: ${JSON.stringify(simulation.errors)}`);
    }
    decisions[probe.action] = simulation.overallResult;
  }
  return decisions;
}

/**
 * IAM, STS and EC2 over the AWS Query protocol, answered from the instant AWS's memory: the calls
 * the IAM, IAM access key and EC2 instance profile actions make, and those that set up their
 * targets (CreateUser, CreateRole, CreateAccessKey).
 */
import type { Account, IamPrincipal, World } from './state.ts';
import { token } from './state.ts';
import { AwsFault, ec2Answer, el, iso, items, listParameter, members, queryAnswer, raw, required, type XmlAnswer } from './xml.ts';

/** AWS managed policies an action may attach (`arn:<partition>:iam::aws:policy/<name>`). */
const managedPolicies = new Set(['AWSDenyAll', 'ReadOnlyAccess', 'AdministratorAccess']);

export function answerIam(world: World, account: Account, parameters: URLSearchParams): XmlAnswer {
  const action = required(parameters, 'Action');
  const answer = (result: string | null): XmlAnswer => queryAnswer('iam', action, result);
  const principal = (kind: 'user' | 'role'): IamPrincipal => {
    const name = required(parameters, kind === 'user' ? 'UserName' : 'RoleName');
    const found = account.principal(kind, name);
    if (found === undefined) throw new AwsFault(404, 'NoSuchEntity', `The ${kind} with name ${name} cannot be found.`);
    return found;
  };
  switch (action) {
    case 'CreateUser':
    case 'CreateRole': {
      const kind = action === 'CreateUser' ? 'user' : 'role';
      const name = required(parameters, kind === 'user' ? 'UserName' : 'RoleName');
      if (account.principal(kind, name) !== undefined) throw new AwsFault(409, 'EntityAlreadyExists', `${kind} with name ${name} already exists.`);
      const document = kind === 'role' ? required(parameters, 'AssumeRolePolicyDocument') : undefined;
      const created = account.addPrincipal(kind, name, document === undefined ? {} : { assumeRolePolicyDocument: document, externalId: externalIdOf(document) });
      return answer(raw(kind === 'user' ? 'User' : 'Role', principalXml(created)));
    }
    case 'GetUser':
      return answer(raw('User', principalXml(principal('user'))));
    case 'GetRole':
      return answer(raw('Role', principalXml(principal('role'))));
    case 'ListAttachedUserPolicies':
    case 'ListAttachedRolePolicies': {
      const found = principal(action === 'ListAttachedUserPolicies' ? 'user' : 'role');
      const policies = [...found.attached].map(([arn, name]) => el('PolicyName', name) + el('PolicyArn', arn));
      return answer(raw('AttachedPolicies', members(policies)) + el('IsTruncated', false));
    }
    case 'ListUserPolicies':
    case 'ListRolePolicies': {
      const found = principal(action === 'ListUserPolicies' ? 'user' : 'role');
      return answer(raw('PolicyNames', [...found.inline].map((name) => el('member', name)).join('')) + el('IsTruncated', false));
    }
    case 'AttachUserPolicy':
    case 'AttachRolePolicy': {
      const found = principal(action === 'AttachUserPolicy' ? 'user' : 'role');
      const arn = required(parameters, 'PolicyArn');
      const name = /^arn:aws[\w-]*:iam::aws:policy\/(\w+)$/.exec(arn)?.[1];
      if (name === undefined || !managedPolicies.has(name)) throw new AwsFault(404, 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
      found.attached.set(arn, name);
      return answer(null);
    }
    case 'DetachUserPolicy':
    case 'DetachRolePolicy': {
      const found = principal(action === 'DetachUserPolicy' ? 'user' : 'role');
      const arn = required(parameters, 'PolicyArn');
      if (!found.attached.delete(arn)) throw new AwsFault(404, 'NoSuchEntity', `Policy ${arn} was not found.`);
      return answer(null);
    }
    case 'CreateAccessKey': {
      const user = principal('user');
      const key = account.addAccessKey(user.name);
      return answer(raw('AccessKey', el('UserName', user.name) + el('AccessKeyId', key.id) + el('Status', key.status) + el('SecretAccessKey', token(40)) + el('CreateDate', iso(key.created))));
    }
    case 'ListAccessKeys': {
      const user = principal('user');
      const keys = [...account.accessKeys.values()].filter((key) => key.userName === user.name);
      const metadata = keys.map((key) => el('UserName', key.userName) + el('AccessKeyId', key.id) + el('Status', key.status) + el('CreateDate', iso(key.created)));
      return answer(raw('AccessKeyMetadata', members(metadata)) + el('IsTruncated', false));
    }
    case 'UpdateAccessKey': {
      const user = principal('user');
      const id = required(parameters, 'AccessKeyId');
      const status = required(parameters, 'Status');
      const key = account.accessKeys.get(id);
      if (key?.userName !== user.name) throw new AwsFault(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
      if (status !== 'Active' && status !== 'Inactive') throw new AwsFault(400, 'ValidationError', `Value ${status} at 'status' failed to satisfy constraint`);
      key.status = status;
      return answer(null);
    }
    default:
      throw new AwsFault(400, 'InvalidAction', `the instant AWS does not answer iam:${action}`);
  }
}

function principalXml(principal: IamPrincipal): string {
  const idName = principal.kind === 'user' ? 'UserId' : 'RoleId';
  const nameName = principal.kind === 'user' ? 'UserName' : 'RoleName';
  const trust = principal.kind === 'role' ? el('AssumeRolePolicyDocument', encodeURIComponent(principal.assumeRolePolicyDocument)) : '';
  return el('Path', principal.path) + el(nameName, principal.name) + el(idName, principal.id) + el('Arn', principal.arn) + el('CreateDate', iso(principal.created)) + trust;
}

/** The `sts:ExternalId` a trust policy's StringEquals condition demands, or null. */
function externalIdOf(document: string): string | null {
  try {
    const parsed = JSON.parse(document) as { Statement?: { Condition?: { StringEquals?: Record<string, unknown> } }[] };
    const value = parsed.Statement?.map((statement) => statement.Condition?.StringEquals?.['sts:ExternalId']).find((id) => typeof id === 'string');
    return typeof value === 'string' ? value : null;
  } catch {
    throw new AwsFault(400, 'MalformedPolicyDocument', 'The policy document is not valid JSON.');
  }
}

export function answerSts(world: World, account: Account, parameters: URLSearchParams): XmlAnswer {
  const action = required(parameters, 'Action');
  if (action === 'GetCallerIdentity') {
    return queryAnswer('sts', action, el('Arn', `arn:aws:iam::${account.id}:root`) + el('UserId', account.id) + el('Account', account.id));
  }
  if (action !== 'AssumeRole') throw new AwsFault(400, 'InvalidAction', `the instant AWS does not answer sts:${action}`);
  const roleArn = required(parameters, 'RoleArn');
  const sessionName = required(parameters, 'RoleSessionName');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new AwsFault(400, 'ValidationError', `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
  const durationSeconds = Number(parameters.get('DurationSeconds') ?? '3600');
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
    throw new AwsFault(400, 'ValidationError', `Value '${String(durationSeconds)}' at 'durationSeconds' failed to satisfy constraint`);
  }
  const match = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const role = match?.[1] === undefined || match[2] === undefined ? undefined : world.account(match[1]).roles.get(match[2]);
  const denied = new AwsFault(403, 'AccessDenied', `User: arn:aws:iam::${account.id}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  if (match?.[1] === undefined || role === undefined) throw denied;
  if (role.externalId !== null && role.externalId !== parameters.get('ExternalId')) throw denied;
  const issued = {
    accessKeyId: `ASIA${token(16).toUpperCase()}`,
    secretAccessKey: token(40),
    sessionToken: token(64),
    expiration: new Date(Date.now() + durationSeconds * 1000),
    account: match[1],
    roleArn,
  };
  world.sessions.set(issued.accessKeyId, issued);
  return queryAnswer(
    'sts',
    action,
    raw('Credentials', el('AccessKeyId', issued.accessKeyId) + el('SecretAccessKey', issued.secretAccessKey) + el('SessionToken', issued.sessionToken) + el('Expiration', iso(issued.expiration))) +
      raw('AssumedRoleUser', el('AssumedRoleId', `${role.id}:${sessionName}`) + el('Arn', `arn:aws:sts::${match[1]}:assumed-role/${role.name}/${sessionName}`)),
  );
}

export function answerEc2(account: Account, region: string, parameters: URLSearchParams): XmlAnswer {
  const action = required(parameters, 'Action', 'MissingParameter');
  switch (action) {
    case 'DescribeInstances': {
      const ids = listParameter(parameters, 'InstanceId');
      const missing = ids.find((id) => account.instances.get(id)?.region !== region);
      if (missing !== undefined) throw new AwsFault(400, 'InvalidInstanceID.NotFound', `The instance ID '${missing}' does not exist`);
      const found = [...account.instances.values()].filter((instance) => instance.region === region && (ids.length === 0 || ids.includes(instance.id)));
      const reservations = found.map((instance) => {
        const association = [...account.associations.values()].find((entry) => entry.instanceId === instance.id && entry.state === 'associated');
        const profile = association === undefined ? '' : raw('iamInstanceProfile', el('arn', association.profileArn) + el('id', association.profileId));
        const volume = raw('item', el('deviceName', '/dev/xvda') + raw('ebs', el('volumeId', instance.volumeId) + el('status', 'attached') + el('deleteOnTermination', true)));
        const state = raw('instanceState', el('code', instance.state === 'running' ? 16 : instance.state === 'stopped' ? 80 : 48) + el('name', instance.state));
        const body =
          el('instanceId', instance.id) + el('imageId', 'ami-12c6146b') + state + el('instanceType', 't3.micro') +
          raw('placement', el('availabilityZone', instance.availabilityZone)) + raw('blockDeviceMapping', volume) + profile + el('rootDeviceName', '/dev/xvda');
        return el('reservationId', `r-${instance.id.slice(2)}`) + el('ownerId', account.id) + raw('instancesSet', raw('item', body));
      });
      return ec2Answer(action, raw('reservationSet', items(reservations)));
    }
    case 'DescribeIamInstanceProfileAssociations': {
      const ids = listParameter(parameters, 'AssociationId');
      const filters = new Map<string, string[]>();
      for (let index = 1; parameters.has(`Filter.${index}.Name`); index += 1) {
        filters.set(parameters.get(`Filter.${index}.Name`) ?? '', listParameter(parameters, `Filter.${index}.Value`));
      }
      const unknownFilter = [...filters.keys()].find((name) => name !== 'instance-id' && name !== 'state');
      if (unknownFilter !== undefined) throw new AwsFault(400, 'InvalidParameterValue', `The filter '${unknownFilter}' is invalid`);
      const found = [...account.associations.values()].filter(
        (entry) =>
          account.instances.get(entry.instanceId)?.region === region &&
          (ids.length === 0 || ids.includes(entry.id)) &&
          (filters.get('instance-id')?.includes(entry.instanceId) ?? true) &&
          (filters.get('state')?.includes(entry.state) ?? true),
      );
      return ec2Answer(action, raw('iamInstanceProfileAssociationSet', items(found.map(associationXml))));
    }
    case 'DisassociateIamInstanceProfile': {
      const id = required(parameters, 'AssociationId', 'MissingParameter');
      const association = account.associations.get(id);
      if (association === undefined || association.state !== 'associated') throw new AwsFault(400, 'InvalidAssociationID.NotFound', `An association with ID ${id} does not exist`);
      association.state = 'disassociated';
      return ec2Answer(action, raw('iamInstanceProfileAssociation', associationXml({ ...association, state: 'disassociating' })));
    }
    default:
      throw new AwsFault(400, 'InvalidAction', `the instant AWS does not answer ec2:${action}`);
  }
}

function associationXml(entry: { id: string; instanceId: string; profileArn: string; profileId: string; state: string }): string {
  return el('associationId', entry.id) + el('instanceId', entry.instanceId) + raw('iamInstanceProfile', el('arn', entry.profileArn) + el('id', entry.profileId)) + el('state', entry.state);
}

/**
 * What the instant AWS remembers: per account, the IAM users and roles (with their attached and
 * inline policies and access keys), EC2 instances and their instance profile associations, S3
 * buckets (public access block, policy status, ACL), and the temporary credentials STS handed out.
 * Everything lives in memory; nothing is slow on purpose.
 */
import { randomBytes } from 'node:crypto';

export interface IamPrincipal {
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  readonly created: Date;
  readonly attached: Map<string, string>; // policy ARN → policy name
  readonly inline: Set<string>;
  /** Roles only: the trust policy's external id condition (null: none demanded). */
  readonly externalId: string | null;
  readonly assumeRolePolicyDocument: string;
}

export interface AccessKey {
  readonly id: string;
  readonly userName: string;
  status: 'Active' | 'Inactive';
  readonly created: Date;
}

export interface Instance {
  readonly id: string;
  readonly region: string;
  readonly availabilityZone: string;
  readonly volumeId: string;
  state: 'running' | 'stopped' | 'terminated';
}

export interface ProfileAssociation {
  readonly id: string;
  readonly instanceId: string;
  readonly profileArn: string;
  readonly profileId: string;
  state: 'associated' | 'disassociated';
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface Bucket {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  publicAccessBlock: PublicAccessBlock | null;
  /** null: the bucket has no policy (S3 answers NoSuchBucketPolicy). */
  policyIsPublic: boolean | null;
  publicReadAcl: boolean;
}

export class Account {
  readonly id: string;
  readonly users = new Map<string, IamPrincipal>();
  readonly roles = new Map<string, IamPrincipal>();
  readonly accessKeys = new Map<string, AccessKey>();
  readonly instances = new Map<string, Instance>();
  readonly associations = new Map<string, ProfileAssociation>();

  constructor(id: string) {
    this.id = id;
  }

  principal(kind: 'user' | 'role', name: string): IamPrincipal | undefined {
    return (kind === 'user' ? this.users : this.roles).get(name);
  }

  addPrincipal(kind: 'user' | 'role', name: string, options: { externalId?: string | null; assumeRolePolicyDocument?: string } = {}): IamPrincipal {
    const principal: IamPrincipal = {
      kind,
      name,
      id: `${kind === 'user' ? 'AIDA' : 'AROA'}${token(16).toUpperCase()}`,
      arn: `arn:aws:iam::${this.id}:${kind}/${name}`,
      path: '/',
      created: new Date(),
      attached: new Map(),
      inline: new Set(),
      externalId: options.externalId ?? null,
      assumeRolePolicyDocument: options.assumeRolePolicyDocument ?? '{}',
    };
    (kind === 'user' ? this.users : this.roles).set(name, principal);
    return principal;
  }

  addAccessKey(userName: string): AccessKey {
    const key: AccessKey = { id: `AKIA${token(16).toUpperCase()}`, userName, status: 'Active', created: new Date() };
    this.accessKeys.set(key.id, key);
    return key;
  }

  /** A running instance in `region`, with one EBS volume and, when `profileArn` is given, that instance profile associated. */
  addInstance(region: string, profileArn?: string): Instance {
    const instance: Instance = { id: `i-${token(17)}`, region, availabilityZone: `${region}a`, volumeId: `vol-${token(17)}`, state: 'running' };
    this.instances.set(instance.id, instance);
    if (profileArn !== undefined) {
      const association: ProfileAssociation = {
        id: `iip-assoc-${token(17)}`,
        instanceId: instance.id,
        profileArn,
        profileId: `AIPA${token(16).toUpperCase()}`,
        state: 'associated',
      };
      this.associations.set(association.id, association);
    }
    return instance;
  }
}

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly account: string;
  readonly roleArn: string;
}

/** Every account the instant AWS knows, the buckets (one namespace, as in S3) and the sessions STS issued. */
export class World {
  readonly #accounts = new Map<string, Account>();
  readonly buckets = new Map<string, Bucket>();
  readonly sessions = new Map<string, IssuedCredentials>();
  /** The account of callers whose credentials STS did not issue (the service's own, `testing`). */
  readonly callerAccount: string;
  /** How many calls each `service:Action` received, for tests and the benchmark. */
  readonly calls = new Map<string, number>();

  constructor(callerAccount: string) {
    this.callerAccount = callerAccount;
  }

  account(id: string): Account {
    let account = this.#accounts.get(id);
    if (account === undefined) {
      account = new Account(id);
      this.#accounts.set(id, account);
    }
    return account;
  }

  addBucket(account: string, name: string, region: string, exposure: { policyIsPublic?: boolean | null; publicReadAcl?: boolean } = {}): Bucket {
    const bucket: Bucket = {
      name,
      region,
      account,
      publicAccessBlock: null,
      policyIsPublic: exposure.policyIsPublic ?? null,
      publicReadAcl: exposure.publicReadAcl ?? false,
    };
    this.buckets.set(name, bucket);
    return bucket;
  }

  count(call: string): void {
    this.calls.set(call, (this.calls.get(call) ?? 0) + 1);
  }
}

export function token(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

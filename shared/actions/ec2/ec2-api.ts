/**
 * The EC2 family: cloud-volume-snapshot and its undo (ec2-snapshot.ts), isolate-ec2-instance and
 * its undo (ec2-isolation.ts). Both halves reach EC2 through one `Ec2Api` per member-account
 * session, which holds a client per region and turns failed calls into the named errors the state
 * machine matches. The action files import this module for types only, so there is no import cycle.
 */
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import type { MemberCredentials, MemberSession } from '#shared/adapters/member-session.ts';
import type { CloudActionFamily, CloudTarget } from './cloud-action.ts';
import { cloudVolumeSnapshot, undoCloudVolumeSnapshot } from './ec2-snapshot.ts';
import { isolateEc2Instance, unisolateEc2Instance } from './ec2-isolation.ts';
import { InvalidTargetError, TargetNotFoundError, fromAwsError } from './errors.ts';

export { snapshotTagKeys } from './ec2-snapshot.ts';
export { undoCloudVolumeSnapshotInputs } from './snapshot-records.ts';
export { isolationTagKeys } from './ec2-isolation.ts';

/** Builds the EC2 client of one region for one session (tests hand in a mocked one). */
export type Ec2ClientFactory = (region: string, credentials: MemberCredentials) => EC2Client;

/** The outcome of a call whose expected failures (an AWS error code listed by the caller) are not errors. */
export type Ec2Attempt<Output> = { readonly ok: true; readonly value: Output } | { readonly ok: false; readonly code: string };

/** The instance an action names: `arn:<partition>:ec2:<region>:<account>:instance/<id>`. */
export interface Ec2InstanceRef {
  readonly instanceId: string;
  readonly region: string;
  /** "EC2 instance i-0abc in us-east-1", for messages. */
  readonly label: string;
}

export interface Ec2ApiOptions {
  readonly accountId: string;
  readonly credentials: MemberCredentials;
  readonly createClient?: Ec2ClientFactory;
}

// A type alias, not an interface, so it fits SessionClients' index signature.
export type Ec2Clients = { readonly ec2: Ec2Api };

/**
 * EC2 in one member account, as the member role's session: a client per region (an instance ARN
 * names its region; the session does not), created on first use and destroyed with the session.
 */
export class Ec2Api {
  readonly accountId: string;
  readonly #credentials: MemberCredentials;
  readonly #createClient: Ec2ClientFactory;
  readonly #clients = new Map<string, EC2Client>();

  constructor(options: Ec2ApiOptions) {
    this.accountId = options.accountId;
    this.#credentials = options.credentials;
    this.#createClient = options.createClient ?? defaultEc2Client;
  }

  client(region: string): EC2Client {
    let client = this.#clients.get(region);
    if (client === undefined) {
      client = this.#createClient(region, this.#credentials);
      this.#clients.set(region, client);
    }
    return client;
  }

  /**
   * Runs one EC2 call. A `*.NotFound` answer becomes TargetNotFound naming `missing` (what the
   * call was about); throttling becomes ThrottlingError, retried by the state machine; anything
   * else keeps AWS's words (see fromAwsError).
   */
  async call<Output>(region: string, operation: string, send: (client: EC2Client) => Promise<Output>, missing?: string): Promise<Output> {
    try {
      return await send(this.client(region));
    } catch (error) {
      const code = awsErrorCode(error);
      if (code !== null && isNotFoundCode(code)) {
        const what = missing ?? `a resource that ${operation} names`;
        throw new TargetNotFoundError(`${what} does not exist in account ${this.accountId} (${code})`, { cause: error });
      }
      throw fromAwsError(error, { accountId: this.accountId, operation: `${operation} in ${region}` });
    }
  }

  /** Like call, but an AWS error whose code is in `expected` comes back as `{ ok: false, code }`. */
  async attempt<Output>(
    region: string,
    operation: string,
    send: (client: EC2Client) => Promise<Output>,
    expected: readonly string[],
  ): Promise<Ec2Attempt<Output>> {
    try {
      return { ok: true, value: await send(this.client(region)) };
    } catch (error) {
      const code = awsErrorCode(error);
      if (code !== null && expected.includes(code)) return { ok: false, code };
      throw fromAwsError(error, { accountId: this.accountId, operation: `${operation} in ${region}` });
    }
  }

  /** The instance the target names; InvalidTarget unless it is an EC2 instance ARN with a region. */
  instanceOf(target: CloudTarget): Ec2InstanceRef {
    if (target.service !== 'ec2' || target.resourceType !== 'instance' || !/^i-[0-9a-f]{8,17}$/.test(target.resourceName)) {
      throw new InvalidTargetError(`${target.arn} is not an EC2 instance ARN (arn:<partition>:ec2:<region>:<account>:instance/i-...)`);
    }
    if (target.region === '') throw new InvalidTargetError(`${target.arn} names no region, and EC2 instances live in one`);
    return { instanceId: target.resourceName, region: target.region, label: `EC2 instance ${target.resourceName} in ${target.region}` };
  }

  /** Reads the instance; TargetNotFound when it does not exist or is terminated (nothing left to act on). */
  async describeInstance(ref: Ec2InstanceRef): Promise<Instance> {
    const { Reservations } = await this.call(
      ref.region,
      'ec2:DescribeInstances',
      (client) => client.send(new DescribeInstancesCommand({ InstanceIds: [ref.instanceId] })),
      ref.label,
    );
    const instance = (Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []).find((found) => found.InstanceId === ref.instanceId);
    if (instance === undefined) {
      throw new TargetNotFoundError(`${ref.label} does not exist in account ${this.accountId}`);
    }
    if (instance.State?.Name === 'terminated') {
      throw new TargetNotFoundError(`${ref.label} is terminated in account ${this.accountId}; nothing is left to act on`);
    }
    return instance;
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}

/** No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must. */
function defaultEc2Client(region: string, credentials: MemberCredentials): EC2Client {
  return new EC2Client({ region, credentials, maxAttempts: 4 });
}

/** The AWS error code of a failed SDK call (EC2's SDK errors are named after the code), else null. */
function awsErrorCode(error: unknown): string | null {
  return error instanceof Error && '$metadata' in error ? error.name : null;
}

function isNotFoundCode(code: string): boolean {
  return code.endsWith('.NotFound') || code === 'InvalidInstanceID.Malformed';
}

export interface Ec2FamilyOptions {
  /** How the family's clients are made; tests wrap them (aws-sdk-client-mock), production never passes one. */
  readonly createClient?: Ec2ClientFactory;
}

/**
 * The EC2 family with its clients made by `options.createClient`. Its function needs, in member
 * accounts, the permissions listed for `ec2` in families.ts (snapshots and security groups only
 * where they carry this service's tags).
 */
export function createEc2Family(options: Ec2FamilyOptions = {}): CloudActionFamily<Ec2Clients> {
  return {
    name: 'ec2',
    actions: [cloudVolumeSnapshot, undoCloudVolumeSnapshot, isolateEc2Instance, unisolateEc2Instance],
    createClients(session: MemberSession): Ec2Clients {
      return {
        ec2: new Ec2Api({
          accountId: session.accountId,
          credentials: session.credentials,
          ...(options.createClient === undefined ? {} : { createClient: options.createClient }),
        }),
      };
    },
  };
}

/** The EC2 family as deployed. */
export const ec2Family: CloudActionFamily<Ec2Clients> = createEc2Family();

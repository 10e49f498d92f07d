/**
 * EC2 in one member account, as the family's actions reach it: a client per region (an instance
 * ARN names its region; the session does not) and every call's failure turned into the named
 * errors the state machine matches. The actions import this module; it imports none of them.
 */
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import type { MemberCredentials } from '#shared/adapters/member-session.ts';
import type { CloudActionContext, CloudTarget } from '../cloud-action.ts';
import { InvalidTargetError, TargetNotFoundError } from '../errors.ts';
import { awsAttempt, awsCall, awsPages, type AwsAttempt, type AwsCallSite } from '../kit/aws-call.ts';
import { RegionalClients } from '../kit/regional-clients.ts';
import type { AutoScalingApi } from './auto-scaling-api.ts';
import { traced } from '#shared/observability/tracing.ts';

/** Builds the EC2 client of one region for one session (tests hand in a mocked one). */
export type Ec2ClientFactory = (region: string, credentials: MemberCredentials) => EC2Client;

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
export type Ec2Clients = { readonly ec2: Ec2Api; readonly autoScaling: AutoScalingApi };

export type Ec2Context = CloudActionContext<Ec2Clients>;

/** EC2 in one member account, as the member role's session; its clients are destroyed with the session. */
export class Ec2Api {
  readonly accountId: string;
  readonly #clients: RegionalClients<EC2Client>;

  constructor(options: Ec2ApiOptions) {
    this.accountId = options.accountId;
    const create = options.createClient ?? defaultEc2Client;
    this.#clients = new RegionalClients((region) => create(region, options.credentials));
  }

  client(region: string): EC2Client {
    return this.#clients.in(region);
  }

  /**
   * Runs one EC2 call. A `*.NotFound` answer becomes TargetNotFound naming `missing` (what the
   * call was about); throttling becomes ThrottlingError, retried by the state machine; anything
   * else keeps AWS's words (see fromAwsError).
   */
  async call<Output>(region: string, operation: string, send: (client: EC2Client) => Promise<Output>, missing?: string): Promise<Output> {
    return awsCall(this.#site(region, operation, missing), () => send(this.client(region)));
  }

  /** Like call, but an AWS error whose code is in `expected` comes back as `{ ok: false, code }`. */
  async attempt<Output>(
    region: string,
    operation: string,
    send: (client: EC2Client) => Promise<Output>,
    expected: readonly string[],
  ): Promise<AwsAttempt<Output>> {
    // An unexpected failure keeps fromAwsError's name: an attempt names no resource to call missing.
    return awsAttempt({ accountId: this.accountId, operation: `${operation} in ${region}` }, () => send(this.client(region)), expected);
  }

  /** Every page of a paginated call: `paginate` is one of the SDK's paginate* functions, given this region's client. */
  async pages<Page>(region: string, operation: string, paginate: (config: { client: EC2Client }) => AsyncIterable<Page>): Promise<Page[]> {
    return awsPages(this.#site(region, operation), () => paginate({ client: this.client(region) }));
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
    this.#clients.destroy();
  }

  #site(region: string, operation: string, missing?: string): AwsCallSite {
    const accountId = this.accountId;
    return {
      accountId,
      operation: `${operation} in ${region}`,
      notFound: (code) =>
        isNotFoundCode(code) ? `${missing ?? `a resource that ${operation} names`} does not exist in account ${accountId} (${code})` : null,
    };
  }
}

/** No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must. */
function defaultEc2Client(region: string, credentials: MemberCredentials): EC2Client {
  return traced(new EC2Client({ region, credentials, maxAttempts: 4 }));
}

function isNotFoundCode(code: string): boolean {
  return code.endsWith('.NotFound') || code === 'InvalidInstanceID.Malformed';
}

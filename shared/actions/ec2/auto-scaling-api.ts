/**
 * EC2 Auto Scaling in one member account, as isolate-ec2-instance and its undo reach it: a client
 * per region (RegionalClients) and every call's failure named by the kit's AWS-call wrapper. It
 * imports no action and not ec2-api.ts, so the EC2 family's modules stay free of import circles.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  type AutoScalingInstanceDetails,
} from '@aws-sdk/client-auto-scaling';
import type { MemberCredentials } from '#shared/adapters/member-session.ts';
import { traced } from '#shared/observability/tracing.ts';
import { awsAttempt, awsCall, type AwsAttempt } from '../kit/aws-call.ts';
import { RegionalClients } from '../kit/regional-clients.ts';

/** Builds the Auto Scaling client of one region for one session (tests hand in a mocked one). */
export type AutoScalingClientFactory = (region: string, credentials: MemberCredentials) => AutoScalingClient;

export interface AutoScalingApiOptions {
  readonly accountId: string;
  readonly credentials: MemberCredentials;
  readonly createClient?: AutoScalingClientFactory;
}

/** Auto Scaling refuses a Standby move the instance's lifecycle state does not allow with this code. */
export const standbyRefusedCode = 'ValidationError';

/** Auto Scaling in one member account, as the member role's session; its clients are destroyed with the session. */
export class AutoScalingApi {
  readonly accountId: string;
  readonly #clients: RegionalClients<AutoScalingClient>;

  constructor(options: AutoScalingApiOptions) {
    this.accountId = options.accountId;
    const create = options.createClient ?? defaultAutoScalingClient;
    this.#clients = new RegionalClients((region) => create(region, options.credentials));
  }

  client(region: string): AutoScalingClient {
    return this.#clients.in(region);
  }

  /** The instance's place in its Auto Scaling group, or null when no group has it. */
  async describeInstance(region: string, instanceId: string): Promise<AutoScalingInstanceDetails | null> {
    const { AutoScalingInstances } = await awsCall({ accountId: this.accountId, operation: `autoscaling:DescribeAutoScalingInstances in ${region}` }, () =>
      this.client(region).send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
    );
    return (AutoScalingInstances ?? []).find((details) => details.InstanceId === instanceId) ?? null;
  }

  /**
   * Moves the instance into Standby without decrementing the group's desired capacity (see
   * standby-state.ts for why). A refusal because of its lifecycle state comes back as
   * `{ ok: false }`: the caller reads the state again and decides.
   */
  async enterStandby(region: string, autoScalingGroupName: string, instanceId: string): Promise<AwsAttempt<unknown>> {
    return awsAttempt(
      { accountId: this.accountId, operation: `autoscaling:EnterStandby on Auto Scaling group ${autoScalingGroupName} in ${region}` },
      () =>
        this.client(region).send(
          new EnterStandbyCommand({ AutoScalingGroupName: autoScalingGroupName, InstanceIds: [instanceId], ShouldDecrementDesiredCapacity: false }),
        ),
      [standbyRefusedCode],
    );
  }

  /** Puts the instance back in service; a refusal because of its lifecycle state comes back as `{ ok: false }`. */
  async exitStandby(region: string, autoScalingGroupName: string, instanceId: string): Promise<AwsAttempt<unknown>> {
    return awsAttempt(
      { accountId: this.accountId, operation: `autoscaling:ExitStandby on Auto Scaling group ${autoScalingGroupName} in ${region}` },
      () => this.client(region).send(new ExitStandbyCommand({ AutoScalingGroupName: autoScalingGroupName, InstanceIds: [instanceId] })),
      [standbyRefusedCode],
    );
  }

  destroy(): void {
    this.#clients.destroy();
  }
}

/** No endpoint: the SDK follows AWS_ENDPOINT_URL by itself (moto locally and in tests), as every target-account call must. */
function defaultAutoScalingClient(region: string, credentials: MemberCredentials): AutoScalingClient {
  return traced(new AutoScalingClient({ region, credentials, maxAttempts: 4 }));
}

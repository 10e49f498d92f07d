/**
 * The EC2 family: cloud-volume-snapshot, isolate-ec2-instance, detach-instance-profile and their
 * undos, one file each.
 * Every action reaches EC2 through one `Ec2Api` per member-account session (ec2-api.ts), and
 * isolation reaches Auto Scaling through one `AutoScalingApi` (auto-scaling-api.ts).
 */
import type { MemberSession } from '#shared/adapters/member-session.ts';
import type { CloudActionFamily } from '../cloud-action.ts';
import { AutoScalingApi, type AutoScalingClientFactory } from './auto-scaling-api.ts';
import { cloudVolumeSnapshot } from './cloud-volume-snapshot.ts';
import { detachInstanceProfile } from './detach-instance-profile.ts';
import { Ec2Api, type Ec2ClientFactory, type Ec2Clients } from './ec2-api.ts';
import { isolateEc2Instance } from './isolate-ec2-instance.ts';
import { restoreInstanceProfile } from './restore-instance-profile.ts';
import { undoCloudVolumeSnapshot } from './undo-cloud-volume-snapshot.ts';
import { unisolateEc2Instance } from './unisolate-ec2-instance.ts';

export { AutoScalingApi, type AutoScalingClientFactory } from './auto-scaling-api.ts';
export { Ec2Api, type Ec2ClientFactory, type Ec2Clients, type Ec2InstanceRef } from './ec2-api.ts';
export { isolationTagKeys } from './security-groups.ts';
export { snapshotTagKeys } from './snapshots.ts';
export { undoCloudVolumeSnapshotInputs } from '../snapshot-records.ts';
export { cloudVolumeSnapshot, detachInstanceProfile, isolateEc2Instance, restoreInstanceProfile, undoCloudVolumeSnapshot, unisolateEc2Instance };

export interface Ec2FamilyOptions {
  /** How the family's clients are made; tests wrap them (aws-sdk-client-mock), production never passes one. */
  readonly createClient?: Ec2ClientFactory;
  /** Likewise for the Auto Scaling clients isolation uses. */
  readonly createAutoScalingClient?: AutoScalingClientFactory;
}

/**
 * The EC2 family with its clients made by `options.createClient`. Its function needs, in member
 * accounts, the permissions listed for `ec2` in families.ts (snapshots and security groups only
 * where they carry this service's tags).
 */
export function createEc2Family(options: Ec2FamilyOptions = {}): CloudActionFamily<Ec2Clients> {
  return {
    name: 'ec2',
    actions: [cloudVolumeSnapshot, undoCloudVolumeSnapshot, isolateEc2Instance, unisolateEc2Instance, detachInstanceProfile, restoreInstanceProfile],
    createClients(session: MemberSession): Ec2Clients {
      return {
        ec2: new Ec2Api({
          accountId: session.accountId,
          credentials: session.credentials,
          ...(options.createClient === undefined ? {} : { createClient: options.createClient }),
        }),
        autoScaling: new AutoScalingApi({
          accountId: session.accountId,
          credentials: session.credentials,
          ...(options.createAutoScalingClient === undefined ? {} : { createClient: options.createAutoScalingClient }),
        }),
      };
    },
  };
}

/** The EC2 family as deployed. */
export const ec2Family: CloudActionFamily<Ec2Clients> = createEc2Family();

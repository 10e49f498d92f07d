/**
 * The fields of a GuardDuty finding the normaliser reads, in EventBridge's camelCase (GuardDuty API
 * Reference: Finding, Resource, Service; User Guide: "Finding details"). Anything
 * else a finding carries is dropped unread.
 */
import * as z from 'zod';
import { accountId, count, identifier, partition, region, text, timestamp, typeText } from './schema-parts.ts';

const name = text(255);

const accessKeyDetails = z.object({
  userName: text(128).optional(),
  /** IAMUser, AssumedRole, Root, FederatedUser, ... */
  userType: text(64).optional(),
  accessKeyId: text(128).optional(),
  principalId: text(256).optional(),
});

const kubernetesWorkloadDetails = z.object({
  name: name.optional(),
  /** `pods`, `deployments`, ... (the API's KubernetesWorkload type, any case). */
  type: text(64).optional(),
  namespace: name.optional(),
  uid: text(128).optional(),
});

export const guardDutyResourceSchema = z.object({
  /** AccessKey, Instance, S3Bucket, EKSCluster, ECSCluster, Container, Lambda, RDSDBInstance, ... */
  resourceType: text(128),
  accessKeyDetails: accessKeyDetails.optional(),
  instanceDetails: z.object({ instanceId: text(64).optional() }).optional(),
  s3BucketDetails: z.array(z.object({ name: name.optional(), arn: text(2048).optional() })).max(100).optional(),
  eksClusterDetails: z.object({ name: name.optional(), arn: text(2048).optional() }).optional(),
  kubernetesDetails: z.object({ kubernetesWorkloadDetails: kubernetesWorkloadDetails.optional() }).optional(),
  rdsDbInstanceDetails: z.object({ dbInstanceIdentifier: text(128).optional() }).optional(),
});

/**
 * `additionalInfo` is an object in events (`{ "sample": true, ... }`) and, in GetFindings, a
 * `{ Value, Type }` pair whose Value is that object as JSON text.
 */
const additionalInfo = z.object({ sample: z.boolean().optional(), value: text(65_536).optional() });

export const guardDutyServiceSchema = z.object({
  archived: z.boolean().optional(),
  resourceRole: z.string().max(64).optional(),
  count: count.optional(),
  additionalInfo: additionalInfo.optional(),
  eventLastSeen: timestamp.optional(),
});

export const guardDutyFindingSchema = z.object({
  id: identifier(300),
  arn: text(2048).optional(),
  type: typeText(256),
  accountId,
  region,
  partition: partition.optional(),
  severity: z.number().min(0).max(10),
  updatedAt: timestamp.optional(),
  resource: guardDutyResourceSchema,
  service: guardDutyServiceSchema.optional(),
});

export type GuardDutyFinding = z.output<typeof guardDutyFindingSchema>;
export type GuardDutyResource = z.output<typeof guardDutyResourceSchema>;

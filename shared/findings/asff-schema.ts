/**
 * The fields of an ASFF finding (AWS Security Finding Format; Security Hub API Reference:
 * AwsSecurityFinding, Resource, Severity, Workflow, Compliance) the normaliser reads.
 */
import * as z from 'zod';
import { asffSeverityLabels } from './severity.ts';
import { accountId, identifier, partition, region, text, timestamp, typeText } from './schema-parts.ts';

const asffResourceSchema = z.object({
  /** AwsEc2Instance, AwsS3Bucket, AwsIamUser, AwsIamRole, AwsIamAccessKey, AwsRdsDbInstance, AwsAccount, Other, ... */
  Type: text(256),
  Id: text(2048),
  Partition: partition.optional(),
  Region: region.optional(),
  Details: z
    .object({
      AwsIamAccessKey: z
        .object({
          /** Deprecated by PrincipalName, still sent by GuardDuty's ASFF. */
          UserName: text(128).optional(),
          PrincipalName: text(128).optional(),
          PrincipalType: text(64).optional(),
        })
        .optional(),
    })
    .optional(),
});

export const asffFindingSchema = z.object({
  Id: identifier(512),
  ProductArn: text(2048).optional(),
  ProductName: text(256).optional(),
  GeneratorId: text(512),
  AwsAccountId: accountId,
  Region: region.optional(),
  Types: z.array(typeText(256)).max(50).optional(),
  UpdatedAt: timestamp.optional(),
  Severity: z
    .object({
      Label: z.enum(asffSeverityLabels).optional(),
      Normalized: z.int().min(0).max(100).optional(),
      Product: z.number().optional(),
      Original: text(64).optional(),
    })
    .optional(),
  FindingProviderFields: z.object({ Severity: z.object({ Label: z.enum(asffSeverityLabels).optional() }).optional() }).optional(),
  /** Flattened text fields: ControlId, aws/securityhub/ProductName, GuardDuty's count and additionalInfo. */
  ProductFields: z.record(z.string().max(128), text(4096)).optional(),
  Resources: z.array(asffResourceSchema).min(1).max(32),
  Compliance: z.object({ Status: text(32).optional(), SecurityControlId: text(64).optional() }).optional(),
  Workflow: z.object({ Status: text(32).optional() }).optional(),
  /** Deprecated by Workflow.Status; DEFERRED there is SUPPRESSED here. */
  WorkflowState: text(32).optional(),
  RecordState: text(32).optional(),
});

export type AsffFinding = z.output<typeof asffFindingSchema>;
export type AsffResource = z.output<typeof asffResourceSchema>;

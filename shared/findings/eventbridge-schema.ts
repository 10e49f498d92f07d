/**
 * An EventBridge event as EventBridge delivers it (EventBridge User Guide, "Amazon EventBridge
 * events": `version, id, detail-type, source, account, time, region, resources, detail`), and the
 * sources and detail types this service takes findings from (GuardDuty User Guide, "EventBridge
 * event format"; Security Hub User Guide, "EventBridge event formats", for CSPM and V2).
 */
import * as z from 'zod';
import { isPlainObject } from '#shared/catalogue/validate.ts';
import { accountId, identifier, region, text, timestamp } from './schema-parts.ts';

export const guardDutyFindingDetailType = 'GuardDuty Finding';
export const securityHubImportedDetailType = 'Security Hub Findings - Imported';
export const securityHubCustomActionDetailType = 'Security Hub Findings - Custom Action';
export const securityHubImportedV2DetailType = 'Findings Imported V2';

/** The detail types accepted from each EventBridge source. */
export const acceptedDetailTypes: Readonly<Record<string, readonly string[]>> = {
  'aws.guardduty': [guardDutyFindingDetailType],
  'aws.securityhub': [securityHubImportedDetailType, securityHubCustomActionDetailType, securityHubImportedV2DetailType],
};

/** An object, passed on as it is (not copied): each source's own schema reads it next. */
export const detailObject = z.custom<Record<string, unknown>>(isPlainObject, { error: 'must be an object' });

export const eventBridgeEnvelopeSchema = z.object({
  version: text(16),
  id: identifier(128),
  'detail-type': text(128),
  source: text(128),
  account: accountId,
  time: timestamp,
  region,
  resources: z.array(text(2048)).max(100),
  detail: detailObject,
});

export type EventBridgeEnvelope = z.output<typeof eventBridgeEnvelopeSchema>;

/** Security Hub events carry their findings as `detail.findings`: one for Imported, up to 100 for a custom action. */
export const securityHubDetailSchema = z.object({ findings: z.array(z.unknown()).min(1).max(100) });

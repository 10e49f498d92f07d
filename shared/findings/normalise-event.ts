/**
 * The one entry point: a body as `POST /v1/events` receives it (or as EventBridge invokes the
 * target with it) becomes a NormalisedEvent, or an InvalidFindingError naming every bad field.
 * Nothing else is ever thrown for any JSON value, and nothing is written or called.
 */
import { isPlainObject } from '#shared/catalogue/validate.ts';
import { bodyLimitError } from './body-limits.ts';
import {
  acceptedDetailTypes,
  eventBridgeEnvelopeSchema,
  guardDutyFindingDetailType,
  securityHubDetailSchema,
  securityHubImportedV2DetailType,
} from './eventbridge-schema.ts';
import { InvalidFindingError } from './invalid-finding-error.ts';
import { normaliseAsffFinding } from './normalise-asff.ts';
import { normaliseFalcoAlert } from './normalise-falco.ts';
import { normaliseGuardDutyFinding } from './normalise-guardduty.ts';
import { normaliseOcsfFinding } from './normalise-ocsf.ts';
import { parsePart } from './parse-part.ts';
import type { NormalisedEvent } from './types.ts';

const neither =
  'must be one EventBridge event (version, id, detail-type, source, account, time, region, resources, detail) or one Falco alert (rule, priority, time, output, output_fields)';

function normaliseEventBridge(body: Record<string, unknown>): NormalisedEvent {
  const envelope = parsePart(eventBridgeEnvelopeSchema, body, []);
  const detailType = envelope['detail-type'];
  const accepted = Object.hasOwn(acceptedDetailTypes, envelope.source) ? acceptedDetailTypes[envelope.source] : undefined;
  if (accepted === undefined) {
    throw new InvalidFindingError([{ path: 'source', message: `must be aws.guardduty or aws.securityhub (Falco alerts are posted as Falco writes them, without an envelope)` }]);
  }
  if (!accepted.includes(detailType)) {
    throw new InvalidFindingError([{ path: 'detail-type', message: `must be one of ${accepted.map((type) => JSON.stringify(type)).join(', ')} for source ${envelope.source}` }]);
  }
  const base = { eventId: envelope.id, detailType };
  if (detailType === guardDutyFindingDetailType) {
    return { ...base, source: 'guardduty', findings: [normaliseGuardDutyFinding(envelope.detail, ['detail'])] };
  }
  const { findings } = parsePart(securityHubDetailSchema, envelope.detail, ['detail']);
  const normalise = detailType === securityHubImportedV2DetailType ? normaliseOcsfFinding : normaliseAsffFinding;
  return {
    ...base,
    source: 'securityhub',
    findings: findings.map((finding, index) => normalise(finding, ['detail', 'findings', index], envelope.region)),
  };
}

/** Normalises one accepted body; throws InvalidFindingError (an InvalidInputError: a 400) for anything else. */
export function normaliseEvent(body: unknown): NormalisedEvent {
  const tooLarge = bodyLimitError(body);
  if (tooLarge !== null) throw new InvalidFindingError([tooLarge]);
  if (!isPlainObject(body)) throw new InvalidFindingError([{ path: '(body)', message: neither }]);
  if (Object.hasOwn(body, 'detail-type') || Object.hasOwn(body, 'detail')) return normaliseEventBridge(body);
  if (Object.hasOwn(body, 'rule') || Object.hasOwn(body, 'output_fields')) return normaliseFalcoAlert(body);
  throw new InvalidFindingError([{ path: '(body)', message: neither }]);
}

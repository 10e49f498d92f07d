/**
 * What a finding becomes once normalised: the same shape whichever source sent it, so rules,
 * dedup and decisions never look at a source's own format (API.md "Findings in").
 */
import type { Partition } from '#shared/catalogue/arn.ts';
import type { ResourceRef } from '#shared/catalogue/types.ts';

export const findingSources = ['guardduty', 'securityhub', 'falco'] as const;
/** The `source` of `POST /v1/events`' answer and of rules' `match.source`. */
export type FindingSource = (typeof findingSources)[number];

/** Rules' `minSeverity` scale, lowest first; every source's own scale is mapped onto it (severity.ts). */
export const severities = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof severities)[number];

/**
 * `suppressed`: archived, suppressed or resolved at the source (or a control that passed); a rule
 * records the decision `suppressed` and never acts on it.
 */
export type WorkflowState = 'active' | 'suppressed';

export const resourceRoles = ['ACTOR', 'TARGET'] as const;
export type ResourceRole = (typeof resourceRoles)[number];

/** Input values as the catalogue takes them: flat dotted names (`aws.resource.arn`, `host.id`). */
export type FindingInputs = Readonly<Record<string, string | number>>;

/**
 * A resource the finding names, with its resource key and kind exactly as action records compute
 * them (shared/catalogue/resource-keys.ts), and the catalogue inputs that name it.
 */
export interface FindingResource extends ResourceRef {
  readonly inputs: FindingInputs;
}

export interface NormalisedFinding {
  readonly source: FindingSource;
  /** The id the source gives the finding; stable across re-deliveries and updates (dedup's key). */
  readonly findingId: string;
  /** The type shown in decisions: GuardDuty's `type`, a control id, an ASFF/OCSF type, Falco's rule. */
  readonly findingType: string;
  /** Every string a rule's `types` globs are matched against, findingType first, no duplicates. */
  readonly types: readonly string[];
  readonly severity: Severity;
  /** The source's own value, as text, for the record: `5`, `HIGH`, `severity_id 4`, `Warning`. */
  readonly sourceSeverity: string;
  /** The account the finding is about (the member's, not a delegated administrator's); null for Falco. */
  readonly accountId: string | null;
  readonly region: string | null;
  readonly partition: Partition | null;
  /** The product that produced it, when a Security Hub finding says so (`GuardDuty`, `Security Hub`). */
  readonly productName: string | null;
  readonly workflow: WorkflowState;
  /** Why the finding is `suppressed` (`service.archived is true`); null when active. */
  readonly workflowReason: string | null;
  /** A sample finding (GuardDuty's CreateSampleFindings): real-looking, about nothing real. */
  readonly sample: boolean;
  /**
   * GuardDuty's `service.resourceRole`: `ACTOR` when the resource did the activity, `TARGET` when
   * it was acted on (an instance being brute-forced from the internet); null where not stated.
   */
  readonly resourceRole: ResourceRole | null;
  /** GuardDuty's `service.count` (grows on each update of the same finding id); null elsewhere. */
  readonly updateCount: number | null;
  /** When the source last updated the finding, as the source wrote it; null when it does not say. */
  readonly updatedAt: string | null;
  /** The resource a rule's action acts on by default: `resources[0]`, or null when none could be named. */
  readonly resource: FindingResource | null;
  /** Every resource named, most specific first (an S3 finding: its buckets, then the caller's user). */
  readonly resources: readonly FindingResource[];
  /** Why no resource could be named (the decision `unmapped` says it); null when `resource` is set. */
  readonly unmappedReason: string | null;
}

/** One accepted body: an EventBridge event (one or several findings) or one Falco alert. */
export interface NormalisedEvent {
  /** EventBridge's event `id`; Falco's `uuid`, or a SHA-256 of the alert when it has none. */
  readonly eventId: string;
  readonly source: FindingSource;
  /** EventBridge's `detail-type`; null for Falco. */
  readonly detailType: string | null;
  readonly findings: readonly NormalisedFinding[];
}

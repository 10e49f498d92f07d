/**
 * Findings in (API.md "Findings in (automations)"): rules as data, the decision each rule takes
 * on each finding, and the ports the decision needs (dedup, rate limits, exemptions, the log).
 */
import type { FindingResource, FindingSource, NormalisedEvent, NormalisedFinding, ResourceRole, Severity } from '#shared/findings/index.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/plan-types.ts';

export const ruleModes = ['enforce', 'dry-run', 'approval'] as const;
export type RuleMode = (typeof ruleModes)[number];

export interface RuleMatch {
  readonly source: FindingSource;
  /** Globs over the finding's type strings (`*` matches any run, `/` and `:` included). */
  readonly types: readonly string[];
  readonly minSeverity?: Severity;
  /**
   * Only findings whose resource played this role (GuardDuty's `service.resourceRole`); a finding
   * that states none still matches. `ACTOR` keeps a rule off instances that are only attacked.
   */
  readonly resourceRole?: ResourceRole;
  /** Only findings about these accounts / regions; absent: any. */
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
}

/** What a rule runs: an action type, or a playbook (issue 13), with inputs that override the finding's. */
export type RuleRun =
  | { readonly action: string; readonly inputs?: Readonly<Record<string, string | number | boolean>> }
  | { readonly playbook: string; readonly inputs?: Readonly<Record<string, string | number | boolean>> };

export interface Rule {
  readonly id: string;
  readonly description: string;
  readonly mode: RuleMode;
  readonly match: RuleMatch;
  readonly run: RuleRun;
  /** The same finding id under this rule acts once within this many seconds (default 3600). */
  readonly dedupSeconds: number;
  /** Past this many counted decisions in an hour the rule trips (default 20). */
  readonly maxActionsPerHour: number;
}

/** The rules in force and where they came from (`GET /v1/automation-rules`). */
export interface RuleSet {
  readonly rules: readonly Rule[];
  /** SHA-256 (hex) of the file's bytes as read; of the shipped default file when AUTOMATION_RULES is unset. */
  readonly sha256: string;
  /** The file's path, or `default` for the shipped set. */
  readonly origin: string;
}

export const decisionOutcomes = [
  'executed',
  'planned',
  'awaiting-approval',
  'deduplicated',
  'exempt',
  'rate-limited',
  'suppressed',
  'unmapped',
  'refused',
] as const;
export type DecisionOutcome = (typeof decisionOutcomes)[number];

/** One rule's decision on one finding, as `POST /v1/events` answers it. */
export interface Decision {
  readonly ruleId: string;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly actionIds: readonly string[];
  readonly playbookRunId: string | null;
  readonly approvalId: string | null;
  /** The action's plan, or for a playbook rule every step's (dry-run and approval modes). */
  readonly plan: Plan | PlaybookPlan | null;
}

/** One finding of an accepted event, as `POST /v1/events` answers it. */
export interface DecidedFinding {
  readonly findingId: string;
  readonly findingType: string;
  readonly severity: Severity;
  readonly resource: { readonly key: string; readonly kind: string } | null;
  readonly decisions: readonly Decision[];
}

export interface EventAnswer {
  readonly eventId: string;
  readonly source: FindingSource;
  readonly findings: readonly DecidedFinding[];
}

/** A recorded decision (`GET /v1/events`), newest first. */
export interface DecisionRecord {
  /** Unique per decision (sort key tie-break); not in the API's list but harmless. */
  readonly id: string;
  readonly eventId: string;
  readonly receivedAt: string;
  readonly source: FindingSource;
  readonly findingId: string;
  readonly findingType: string;
  readonly ruleId: string;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly actionIds: readonly string[];
  readonly approvalId: string | null;
  readonly playbookRunId: string | null;
}

export interface DecisionQuery {
  readonly findingId?: string;
  readonly ruleId?: string;
  readonly outcome?: DecisionOutcome;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface DecisionPage {
  readonly items: readonly Omit<DecisionRecord, 'id'>[];
  readonly nextCursor: string | null;
}

/** Every decision is written here before the answer goes out (nothing is skipped silently). */
export interface DecisionLog {
  record(decisions: readonly DecisionRecord[]): Promise<void>;
  list(query: DecisionQuery): Promise<DecisionPage>;
}

/**
 * Dedup per (rule, finding id) within `dedupSeconds`, with conditional writes so it holds across
 * restarts, re-deliveries and concurrent deliveries. `claim` wins for exactly one caller until the
 * window ends; `release` gives a claim back when nothing was done under it (rate-limited, failed).
 */
export interface DedupStore {
  claim(key: { ruleId: string; findingId: string }, owner: { eventId: string; decisionId: string }, now: Date, dedupSeconds: number): Promise<
    | { readonly claimed: true }
    | {
        readonly claimed: false;
        readonly heldBy: { readonly eventId: string; readonly actionIds: readonly string[]; readonly approvalId: string | null; readonly playbookRunId: string | null };
      }
  >;
  /** Notes what the claim produced, so a later duplicate's decision can name it. */
  complete(
    key: { ruleId: string; findingId: string },
    owner: { decisionId: string },
    produced: { actionIds: readonly string[]; approvalId: string | null; playbookRunId?: string | null },
  ): Promise<void>;
  release(key: { ruleId: string; findingId: string }, owner: { decisionId: string }): Promise<void>;
}

/**
 * The per-rule hourly cap and the per-account-region rate (5 per minute across rules), and the
 * circuit breaker they trip: once tripped, a rule takes nothing until `reset`.
 */
export interface RateLimiter {
  /** Takes one from the rule's and the account-region's allowance, or trips the rule and says why. */
  take(rule: Pick<Rule, 'id' | 'maxActionsPerHour'>, scope: { accountId: string | null; region: string | null }, now: Date): Promise<
    { readonly allowed: true } | { readonly allowed: false; readonly reason: string }
  >;
  /** Counts an action created by approving (always allowed: a person decided). */
  count(rule: Pick<Rule, 'id'>, scope: { accountId: string | null; region: string | null }, now: Date): Promise<void>;
  /** The breaker's state, for `GET /v1/automation-rules`. */
  state(ruleId: string): Promise<{ readonly tripped: boolean; readonly trippedAt: string | null; readonly reason: string | null }>;
  reset(ruleId: string, by: string, now: Date): Promise<void>;
}

/**
 * Whether the target carries `response-actions:exempt` = `true` (IAM user or role, EC2 instance,
 * S3 bucket, RDS instance), read through the member role. `deferred` for targets whose exemption
 * only their responder can see (Kubernetes labels): the responder refuses the work itself.
 */
export interface ExemptionChecker {
  check(resource: FindingResource, finding: NormalisedFinding): Promise<
    /** `unknown`: the tag could not be read (denied, throttled, not found); the rule records `refused`, never acts blindly. */
    { readonly exempt: boolean; readonly reason: string; readonly deferred?: true; readonly unknown?: true }
  >;
}

export const exemptTag = { key: 'response-actions:exempt', value: 'true' } as const;
export const exemptLabel = { key: 'response-actions.io/exempt', value: 'true' } as const;

/** What `receive` needs besides the body. */
export interface ReceiveContext {
  readonly receivedAt: Date;
  /** Who delivered it: the caller's `sub`, or `eventbridge` for the EventBridge target. */
  readonly caller: string;
  /**
   * Called with the normalised event before anything is decided or written; throws (a 403) when
   * the sender may not post findings of this source or about this host.
   */
  readonly authorize?: (event: NormalisedEvent) => void;
}

/** Findings in, as the routes and the EventBridge target see it (AutomationService implements it). */
export interface Automation {
  receive(body: unknown, context: ReceiveContext): Promise<EventAnswer>;
  rules(): RuleSet;
}

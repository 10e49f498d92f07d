/**
 * The responder protocol: what the service hands a host or cluster responder, and what the
 * responder reports back. Host and Kubernetes actions are queued per target (one queue per host,
 * one per cluster); a responder receives only its own work, straight from its queue with
 * credentials for that queue alone, verifies the service's signature (a compact JWS) and that the
 * work names it, acts once per action id, reports, and deletes the message itself.
 *
 * HTTP routes (bearer token with `response-actions.respond` bound to `host/<id>` or
 * `kubernetes/<cluster>` by the `ra_responder` claim):
 * - `POST /v1/responders` register or refresh: RegisterRequest → ResponderRecord (+ signingKey)
 * - `POST /v1/responders/{kind}/{name}/heartbeat` → ResponderRecord
 * - `POST /v1/responders/{kind}/{name}/queue-credentials` → QueueCredentials (AWS; the local
 *   runtime answers 409: its responder runs in-process and reads the embedded queue directly)
 * - `POST /v1/responders/{kind}/{name}/deregister` → { deregistered }: the registration, the queue and its DLQ go
 * - `POST /v1/actions/{id}/reports` Report → the action record (409 once the action has ended)
 * - `POST /v1/actions/{id}/evidence-uploads` UploadRequest → UploadGrant (shared/ports.ts)
 * - `GET /v1/responders` (any of the four action scopes) → { items: ResponderRecord[] }
 *
 * A report's `prior`, `applied` and `result` must have exactly the shape its action type reports
 * (shared/responders/report-schemas: strict, bounded, agreeing with the action's inputs); any
 * other is refused with 400 naming the field and nothing is written, so the action keeps waiting
 * and ends in Error at its completion deadline unless a valid report comes.
 *
 * Receipts never leave the responder: it deletes its queue's messages itself once the service has
 * answered for them.
 */
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';

export const responderKinds = ['host', 'kubernetes'] as const;
export type ResponderKind = (typeof responderKinds)[number];

/** Who a piece of work is for: exactly one host or one cluster. */
export interface WorkTarget {
  readonly kind: ResponderKind;
  /** `host.id` or `kubernetes.cluster.name`. */
  readonly name: string;
}

/** The action an undo reverses, as much as the responder needs to reverse it exactly. */
export interface UndoSource {
  readonly actionId: string;
  readonly type: string;
  readonly prior: JsonValue | null;
  readonly applied: JsonValue | null;
  readonly result: JsonValue | null;
}

/** The signed payload of one piece of work. */
export interface WorkOrder {
  readonly v: 1;
  readonly actionId: string;
  readonly type: string;
  /** Validated by the catalogue; flat dotted names as posted. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly target: WorkTarget;
  readonly undoOf: UndoSource | null;
  readonly issuedAt: string;
  /** The responder must report Running before this, or the action ends in Error. */
  readonly pickupDeadline: string;
  /** The responder must report Completed/Error before this, or the action ends in Error. */
  readonly completionDeadline: string;
  /**
   * The automation rule that created the action (absent for a person's): the cluster responder then
   * refuses a target labelled `response-actions.io/exempt: "true"` (API.md "Safety, always on").
   */
  readonly ruleId?: string;
}

/**
 * A work order as it travels: a compact JWS (RFC 7515) over the order's JSON, signed by the
 * service's Ed25519 key; protected header exactly `{ alg: "EdDSA", kid, typ:
 * "response-actions-work+jws" }` (shared/responders/work-signing.ts). It is the queue message's body.
 */
export type SignedWork = string;

/**
 * The answer of POST /v1/responders/{kind}/{name}/queue-credentials: temporary AWS credentials
 * that allow only sqs:ReceiveMessage, DeleteMessage and ChangeMessageVisibility on the caller's
 * own queue (AssumeRole with a session policy naming that queue's ARN). Never logged.
 */
export interface QueueCredentials {
  readonly queueUrl: string;
  readonly region: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
    /** ISO time; the responder fetches new ones before this. */
    readonly expiration: string;
  };
}

const targetSchema = z.strictObject({ kind: z.enum(['host', 'kubernetes']), name: z.string().regex(/^[A-Za-z0-9._:-]{1,253}$/) });
const isoTime = z.iso.datetime({ offset: true });

/** A WorkOrder, as the responder reads it after the signature checked out. */
export const workOrderSchema = z.strictObject({
  v: z.literal(1),
  actionId: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  inputs: z.record(z.string(), z.unknown()),
  target: targetSchema,
  undoOf: z
    .strictObject({
      actionId: z.string().min(1).max(128),
      type: z.string().min(1).max(64),
      prior: z.lazy(() => json).nullable(),
      applied: z.lazy(() => json).nullable(),
      result: z.lazy(() => json).nullable(),
    })
    .nullable(),
  issuedAt: isoTime,
  pickupDeadline: isoTime,
  completionDeadline: isoTime,
  ruleId: z.string().min(1).max(256).optional(),
});

/** The public half of the service's work-signing key, as a JWK (Ed25519, `kid` = RFC 7638 thumbprint). */
export interface WorkSigningPublicKey {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

const reportStatuses = ['Running', 'Completed', 'Error'] as const;

const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

export const registerRequestSchema = z.strictObject({
  kind: z.enum(responderKinds),
  name: z.string().regex(/^[A-Za-z0-9._:-]{1,253}$/),
  version: z.string().min(1).max(64),
  /** The action types this responder can run. */
  capabilities: z.array(z.string().min(1).max(64)).max(64),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export interface ResponderRecord {
  readonly id: string;
  readonly kind: ResponderKind;
  /** Host id or cluster name. */
  readonly name: string;
  readonly version: string;
  readonly capabilities: readonly string[];
  readonly registeredAt: string;
  readonly lastSeen: string;
}

/**
 * The answer to a registration: the record, plus the key the service signs work with now. A
 * responder trusts it only on first use when told to (`trustOnFirstUse`) and nothing is pinned yet.
 */
export interface RegisterResponse extends ResponderRecord {
  readonly signingKey: WorkSigningPublicKey;
}

export const reportSchema = z.strictObject({
  status: z.enum(reportStatuses),
  detail: z.string().max(1000).optional(),
  result: json.optional(),
  prior: json.optional(),
  applied: json.optional(),
  error: z.strictObject({ code: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/), message: z.string().min(1).max(2000) }).optional(),
});
export type Report = z.infer<typeof reportSchema>;

export const uploadRequestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/),
  contentType: z.string().min(1).max(200),
  size: z.number().int().min(0).max(5 * 1024 * 1024 * 1024),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

/**
 * What a responder action returns on success; `prior` and `applied` as for cloud actions
 * (applied = exactly what it changed; undo reverses only that).
 */
export interface ResponderOutcome {
  readonly result: JsonValue;
  readonly prior?: JsonValue;
  readonly applied?: JsonValue;
}

/** A failure a person can act on: a stable code and a sentence (e.g. the missing permission). */
export class ResponderActionError extends Error {
  override readonly name = 'ResponderActionError';
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** What a responder action gets to work with. */
export interface ResponderActionContext {
  readonly work: WorkOrder;
  /** Aborted when the completion deadline passes or the responder stops. */
  readonly signal: AbortSignal;
  /** Uploads one evidence object for this action through a presigned URL; returns its SHA-256 and size. */
  uploadEvidence(name: string, contentType: string, body: Uint8Array): Promise<{ name: string; sha256: string; size: number }>;
  /** Stores prior/applied on the record before acting further, so a later failure leaves undo the truth. */
  recordProgress(progress: { prior?: JsonValue; applied?: JsonValue }): Promise<void>;
}

/** One action type a responder can run. */
export interface ResponderAction {
  readonly type: string;
  execute(context: ResponderActionContext): Promise<ResponderOutcome>;
}

import type * as z from 'zod';

/** The two permission categories of the seed; every action type belongs to one. */
export const categories = ['containment', 'data-gathering'] as const;
export type Category = (typeof categories)[number];

/**
 * What an action does to the target (API.md): `evidence` gathers; `preserving` contains without
 * destroying volatile state; `destructive` ends processes, containers or pods, or deletes evidence.
 */
export const effects = ['evidence', 'preserving', 'destructive'] as const;
export type Effect = (typeof effects)[number];

/** Who carries the work out: a Step Functions execution, a host responder or a cluster responder. */
export const executors = ['cloud', 'host', 'kubernetes'] as const;
export type Executor = (typeof executors)[number];

/** The resource an action acts on, as API.md's resource keys define it. */
export interface ResourceRef {
  readonly key: string;
  readonly kind: string;
}

/** A validation failure that names the offending field, e.g. `inputs.process.id`. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** Flat dotted input names to values, as posted: `{ "host.id": "node-7" }`. */
export type ActionInputs = Readonly<Record<string, unknown>>;

/** What validation needs from the outside world (the CloudTrail window depends on now). */
export interface ValidationContext {
  readonly now: Date;
}

/** One entry of the catalogue: everything the service knows about an action type. */
export interface ActionTypeDefinition {
  readonly type: string;
  readonly title: string;
  readonly description: string;
  readonly category: Category;
  readonly effect: Effect;
  readonly executors: readonly Executor[];
  /** The type that reverses this one, or null when the action cannot be undone. */
  readonly undoType: string | null;
  /** Shape rules of the inputs object (strict: unknown input names are rejected). */
  readonly inputs: z.ZodType<ActionInputs>;
  /**
   * Rules that depend on the clock. The validator also calls it when the shape has errors
   * (so one answer lists every error), so it must type-check each input it reads.
   */
  readonly checkAt?: (inputs: ActionInputs, context: ValidationContext) => readonly FieldError[];
  /** The executor that runs these (valid) inputs; get-logs picks host or kubernetes. */
  readonly executorFor: (inputs: ActionInputs) => Executor;
  /** The resources these (valid) inputs name; the first is the record's `resource`. */
  readonly resourcesOf: (inputs: ActionInputs) => readonly ResourceRef[];
}

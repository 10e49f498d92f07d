/**
 * Cross-field input rules, and the strict object schema that runs them.
 *
 * A rule sees the inputs as zod left them: valid fields parsed, invalid ones as posted,
 * missing ones absent. So a rule reads presence from the keys, and judges a value only
 * once the value's own schema accepts it; a field's own errors are never repeated.
 */
import * as z from 'zod';
import { checkResourceArn, isAccountId, isRegion, parseArn, partitionOfRegion } from './arn.ts';
import type { AwsResourceKind } from './arn.ts';
import type { ActionInputs } from './types.ts';

/** Says what is wrong with one input, as a sentence that follows its name. */
export type ReportInputError = (name: string, message: string) => void;
export type InputRule = (inputs: ActionInputs, report: ReportInputError) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The inputs object of an action type: strict (unknown input names are rejected), with
 * its cross-field rules, and `jsonSchema` merged into the published JSON Schema (for
 * `oneOf`/`anyOf` constraints the properties alone cannot say).
 */
export function inputsSchema<Shape extends z.core.$ZodLooseShape>(
  shape: Shape,
  options: { readonly rules?: readonly InputRule[]; readonly jsonSchema?: z.GlobalMeta } = {},
) {
  const { rules = [], jsonSchema } = options;
  const schema = z.strictObject(shape).superRefine(
    (inputs, context) => {
      for (const rule of rules) {
        rule(inputs, (name, message) => {
          context.addIssue({ code: 'custom', message, path: [name] });
        });
      }
    },
    // Run even when a field failed, so that one answer lists every error.
    { when: (payload) => isRecord(payload.value) },
  );
  return jsonSchema === undefined ? schema : schema.meta(jsonSchema);
}

function isPresent(inputs: ActionInputs, name: string): boolean {
  return inputs[name] !== undefined;
}

/** `a | b` in API.md's table: one of them is required, and both is refused (which would win is not obvious). */
export function exactlyOneOf(first: string, second: string): InputRule {
  return (inputs, report) => {
    const hasFirst = isPresent(inputs, first);
    const hasSecond = isPresent(inputs, second);
    if (!hasFirst && !hasSecond) report(first, `is required: give ${first} or ${second}`);
    if (hasFirst && hasSecond) report(second, `cannot be given together with ${first}: give ${first} or ${second}, not both`);
  };
}

/** One or both of two inputs that say the same thing in two ways (`ct.user`, `ct.user.arn`). */
export function atLeastOneOf(first: string, second: string): InputRule {
  return (inputs, report) => {
    if (!isPresent(inputs, first) && !isPresent(inputs, second)) report(first, `is required: give ${first}, ${second} or both`);
  };
}

/** An input that only means something next to another one. */
export function requiresWith(name: string, needed: string, why: string): InputRule {
  return (inputs, report) => {
    if (isPresent(inputs, name) && !isPresent(inputs, needed)) report(needed, `is required with ${name}: ${why}`);
  };
}

/**
 * `aws.account.id` and `aws.region` next to `aws.resource.arn`: required where the ARN
 * does not carry them (an S3 bucket ARN carries neither; IAM is global, so an IAM ARN
 * never needs a region), equal to the ARN's where it does, and the region must lie in
 * the ARN's partition.
 */
export function accountAndRegionFitArn(kinds: readonly AwsResourceKind[]): InputRule {
  return (inputs, report) => {
    const value = inputs['aws.resource.arn'];
    // An ARN that is itself wrong has its own error; these rules would only add noise.
    if (typeof value !== 'string' || checkResourceArn(value, kinds) !== null) return;
    const arn = parseArn(value);
    if (arn === null) return;

    const account = inputs['aws.account.id'];
    if (arn.accountId === '') {
      if (account === undefined) report('aws.account.id', `is required: ${value} does not say which account it is in`);
    } else if (typeof account === 'string' && isAccountId(account) && account !== arn.accountId) {
      report('aws.account.id', `is ${account} but the ARN is in account ${arn.accountId}; leave aws.account.id out or give the same account`);
    }

    if (arn.service === 'iam') return;
    const region = inputs['aws.region'];
    if (typeof region === 'string' && isRegion(region) && partitionOfRegion(region) !== arn.partition) {
      report('aws.region', `is ${region}, which is not a region of the ARN's partition ${arn.partition}`);
    } else if (arn.region === '') {
      if (region === undefined) report('aws.region', `is required: ${value} does not say which region it is in`);
    } else if (typeof region === 'string' && isRegion(region) && region !== arn.region) {
      report('aws.region', `is ${region} but the ARN is in region ${arn.region}; leave aws.region out or give the same region`);
    }
  };
}

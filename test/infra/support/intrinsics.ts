import type { Template } from 'aws-cdk-lib/assertions';
import { resourceById } from './template.ts';

/** What CloudFormation would put in for pseudo parameters and other stacks' outputs. */
export interface DeploymentValues {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  /** Another stack's output (`Fn::GetStackOutput`) by output name. @default `<output:Name>` */
  readonly output?: (outputName: string) => string;
}

/**
 * Evaluates the intrinsics a CDK template uses in policies and environment variables (`Ref`,
 * `Fn::GetAtt`, `Fn::Join`, `Fn::GetStackOutput`) as CloudFormation would, given the pseudo
 * parameters; a resource reference becomes a readable placeholder (`<Ref:LogicalId>`,
 * `<LogicalId.Arn>`). Anything else is returned as is.
 */
export function evaluate(value: unknown, values: DeploymentValues): unknown {
  if (Array.isArray(value)) return value.map((item) => evaluate(item, values));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const [key] = keys;
    const argument = record[key ?? ''];
    switch (key) {
      case 'Ref':
        return refValue(String(argument), values);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = argument as [string, string];
        return `<${logicalId}.${attribute}>`;
      }
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown[]];
        return parts.map((part) => String(evaluate(part, values))).join(delimiter);
      }
      case 'Fn::GetStackOutput': {
        const { OutputName } = argument as { OutputName: string };
        return values.output?.(OutputName) ?? `<output:${OutputName}>`;
      }
      default:
        break;
    }
  }
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, evaluate(item, values)]));
}

function refValue(name: string, values: DeploymentValues): string {
  switch (name) {
    case 'AWS::Partition':
      return values.partition;
    case 'AWS::AccountId':
      return values.account;
    case 'AWS::Region':
      return values.region;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return `<Ref:${name}>`;
  }
}

/** Placeholder values for rendering templates: intrinsics stay recognisable. */
export const symbolic: DeploymentValues = { partition: '<AWS::Partition>', account: '<AWS::AccountId>', region: '<AWS::Region>' };

interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/**
 * The grants of an IAM policy resource, one string per action, resource and condition
 * (`Allow dynamodb:GetItem on <HistoryTable.Arn>`), sorted: statements merged or split by CDK's
 * policy minimization compare the same.
 */
export function grantsOfPolicy(template: Template, policyLogicalId: string, values: DeploymentValues = symbolic): string[] {
  const policy = resourceById(template, policyLogicalId);
  const document = policy.Properties.PolicyDocument as { Statement: PolicyStatementJson[] };
  return grantsOfStatements(document.Statement, values);
}

/** {@link grantsOfPolicy} for statements already in hand. */
export function grantsOfStatements(statements: readonly PolicyStatementJson[], values: DeploymentValues = symbolic): string[] {
  const grants = statements.flatMap((statement) => {
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat().map((resource) => String(evaluate(resource, values)));
    const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(evaluate(statement.Condition, values))}`;
    return actions.flatMap((action) => resources.map((resource) => `${statement.Effect} ${action} on ${resource}${condition}`));
  });
  return [...new Set(grants)].sort();
}

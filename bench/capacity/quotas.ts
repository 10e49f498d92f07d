/**
 * The published AWS quotas and prices the capacity model uses, each with where it is published
 * (docs/capacity.md quotes them). Region: us-east-1 (US East, N. Virginia), where Step Functions'
 * buckets are the large ones. IAM and STS publish no request rates: those two are planning
 * assumptions, marked so, and the model shows at what burst they would be reached.
 */
export interface Quota {
  /** The limit, in the unit `unit` says. */
  readonly limit: number;
  readonly unit: string;
  readonly scope: string;
  readonly adjustable: boolean | 'unpublished';
  readonly source: string;
}

export const quotas = {
  apiGatewayRps: {
    limit: 10_000,
    unit: 'requests/s (token bucket, burst 5,000)',
    scope: 'account and Region, all APIs',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
  },
  lambdaConcurrency: {
    limit: 1_000,
    unit: 'concurrent executions',
    scope: 'account and Region',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  sfnStartExecution: {
    limit: 300,
    unit: 'StartExecution/s refill (bucket 1,300)',
    scope: 'account and Region, Standard',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  sfnStateTransitions: {
    limit: 1_500,
    unit: 'state transitions/s refill (bucket 5,000)',
    scope: 'account and Region, Standard',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  sfnTaskCallbacks: {
    limit: 500,
    unit: 'SendTaskHeartbeat (and each of Success/Failure)/s refill (bucket 3,000)',
    scope: 'account and Region',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  sfnOpenExecutions: {
    limit: 1_000_000,
    unit: 'open executions',
    scope: 'account and Region, Standard',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  dynamoTableWrite: {
    limit: 40_000,
    unit: 'write request units/s (on-demand table)',
    scope: 'table',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
  },
  dynamoTableRead: {
    limit: 40_000,
    unit: 'read request units/s (on-demand table)',
    scope: 'table',
    adjustable: true,
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
  },
  dynamoPartitionWrite: {
    limit: 1_000,
    unit: 'write units/s',
    scope: 'one partition key (table or index)',
    adjustable: false,
    source: 'https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb',
  },
  cloudTrailLookupEvents: {
    limit: 2,
    unit: 'LookupEvents/s',
    scope: 'target account and Region',
    adjustable: false,
    source: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html',
  },
  iamWrites: {
    limit: 10,
    unit: 'IAM mutating calls/s (ASSUMED: IAM publishes no rate)',
    scope: 'target account (IAM is global)',
    adjustable: 'unpublished',
    source: 'https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/',
  },
  iamReads: {
    limit: 20,
    unit: 'IAM read calls/s (ASSUMED: IAM publishes no rate)',
    scope: 'target account (IAM is global)',
    adjustable: 'unpublished',
    source: 'https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/',
  },
  stsAssumeRole: {
    limit: 100,
    unit: 'AssumeRole/s (ASSUMED: STS publishes no rate)',
    scope: 'calling account and Region (the service account)',
    adjustable: 'unpublished',
    source: 'https://repost.aws/knowledge-center/iam-sts-throttling-error',
  },
} as const satisfies Record<string, Quota>;

export type QuotaName = keyof typeof quotas;

/** us-east-1 list prices, USD. */
export const prices = {
  lambdaPerMillionRequests: 0.2,
  /** arm64 (infra/constructs/service-function.ts deploys ARM_64), per GB-second. */
  lambdaPerGbSecond: 0.0000133334,
  lambdaMemoryGb: 0.5,
  sfnPerThousandTransitions: 0.025,
  apiGatewayHttpPerMillion: 1.0,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  sqsPerMillionRequests: 0.4,
  s3PerThousandPuts: 0.005,
  sources: [
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/step-functions/pricing/',
    'https://aws.amazon.com/api-gateway/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/sqs/pricing/',
    'https://aws.amazon.com/s3/pricing/',
  ],
} as const;

export type Prices = Omit<typeof prices, 'sources'>;

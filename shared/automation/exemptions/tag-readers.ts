/**
 * Reads the exemption tag of each AWS resource kind a rule acts on, through the clients of the
 * `exemptions` member role (read-only tag calls, nothing else). Each reader answers the tag's
 * value, or undefined when the resource carries no such tag; any failure is thrown, named as the
 * cloud actions name theirs (access denied with the missing permission, throttling, not found).
 */
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { paginateListRoleTags, paginateListUserTags, type IAMClient } from '@aws-sdk/client-iam';
import { ListTagsForResourceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetBucketTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsAttempt, awsCall, awsPages } from '#shared/actions/kit/aws-call.ts';
import { RegionalClients } from '#shared/actions/kit/regional-clients.ts';
import { createIamClients } from '#shared/actions/iam/iam-api.ts';
import { createPrivateClients } from '#shared/actions/private/private-api.ts';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import { traced } from '#shared/observability/tracing.ts';
import { exemptTag } from '../types.ts';

// A type alias, not an interface, so it fits SessionClients' index signature.
export type ExemptionClients = {
  readonly iam: IAMClient;
  readonly ec2: RegionalClients<EC2Client>;
  readonly s3: RegionalClients<S3Client>;
  readonly rds: RegionalClients<RDSClient>;
};

/** The clients of the exemptions role's session: the IAM and S3/RDS families' own factories, and EC2 per region. */
export function createExemptionClients(session: MemberSession): ExemptionClients {
  const { s3, rds } = createPrivateClients(session);
  return {
    ...createIamClients(session),
    s3,
    rds,
    // No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must.
    ec2: new RegionalClients((region) => traced(new EC2Client({ region, credentials: session.credentials, maxAttempts: 4 }))),
  };
}

/** What names the resource whose tag is read, in the terms each service's call takes. */
export type TaggedResource =
  | { readonly kind: 'aws.iam.user' | 'aws.iam.role'; readonly name: string }
  | { readonly kind: 'aws.ec2.instance'; readonly instanceId: string; readonly region: string }
  | { readonly kind: 'aws.s3.bucket'; readonly bucket: string; readonly region: string }
  | { readonly kind: 'aws.rds.db-instance'; readonly arn: string; readonly region: string };

const pickTag = (tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): string | undefined =>
  tags?.find((tag) => tag.Key === exemptTag.key)?.Value;

/** The value of `response-actions:exempt` on the resource, or undefined when it has none. */
export async function readExemptionTag(clients: ExemptionClients, accountId: string, resource: TaggedResource): Promise<string | undefined> {
  switch (resource.kind) {
    case 'aws.iam.user': {
      const site = { accountId, operation: `iam:ListUserTags on IAM user ${resource.name}` };
      const pages = await awsPages(site, () => paginateListUserTags({ client: clients.iam }, { UserName: resource.name }));
      return pickTag(pages.flatMap((page) => page.Tags ?? []));
    }
    case 'aws.iam.role': {
      const site = { accountId, operation: `iam:ListRoleTags on IAM role ${resource.name}` };
      const pages = await awsPages(site, () => paginateListRoleTags({ client: clients.iam }, { RoleName: resource.name }));
      return pickTag(pages.flatMap((page) => page.Tags ?? []));
    }
    case 'aws.ec2.instance': {
      const site = { accountId, operation: `ec2:DescribeTags on instance ${resource.instanceId} in ${resource.region}` };
      // Filtered by resource id and key: one small answer however many tags the account holds.
      const answer = await awsCall(site, () =>
        clients.ec2.in(resource.region).send(
          new DescribeTagsCommand({
            Filters: [
              { Name: 'resource-id', Values: [resource.instanceId] },
              { Name: 'key', Values: [exemptTag.key] },
            ],
          }),
        ),
      );
      return answer.Tags?.find((tag) => tag.ResourceId === resource.instanceId && tag.Key === exemptTag.key)?.Value;
    }
    case 'aws.s3.bucket': {
      const site = { accountId, operation: `s3:GetBucketTagging on bucket ${resource.bucket}` };
      const attempt = await awsAttempt(
        site,
        () => clients.s3.in(resource.region).send(new GetBucketTaggingCommand({ Bucket: resource.bucket, ExpectedBucketOwner: accountId })),
        // S3's answer for a bucket with no tags at all.
        ['NoSuchTagSet'],
      );
      return attempt.ok ? pickTag(attempt.value.TagSet) : undefined;
    }
    case 'aws.rds.db-instance': {
      const site = { accountId, operation: `rds:ListTagsForResource on ${resource.arn}` };
      const answer = await awsCall(site, () => clients.rds.in(resource.region).send(new ListTagsForResourceCommand({ ResourceName: resource.arn })));
      return pickTag(answer.TagList);
    }
  }
}

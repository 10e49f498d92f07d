import type { MemberSession, MemberSessionSource } from '#shared/adapters/member-session.ts';
import { isRegion, parseArn, type Partition } from '#shared/catalogue/arn.ts';
import type { FindingResource, NormalisedFinding } from '#shared/findings/index.ts';
import { exemptLabel, exemptTag, type ExemptionChecker } from '../types.ts';
import { createExemptionClients, readExemptionTag, type ExemptionClients, type TaggedResource } from './tag-readers.ts';

type Verdict = Awaited<ReturnType<ExemptionChecker['check']>>;

export interface MemberRoleExemptionCheckerDeps {
  /** Sessions of the member roles; the checker asks for `<MEMBER_ROLE_NAME>-<family>`. */
  readonly sessions: MemberSessionSource;
  /** The member role family that may read tags: `exemptions` unless told otherwise. */
  readonly family?: string;
  /** The session's clients; tests hand in clients no emulator can make fail as AWS does. */
  readonly createClients?: (session: MemberSession) => ExemptionClients;
}

/**
 * The role session every lookup uses, so a warm function reuses one session per account; the
 * target account's CloudTrail shows `response-actions-exemption-check` on these reads.
 */
const lookupSessionId = 'exemption-check';

/**
 * Whether a rule may act on a finding's resource, from the resource's own `response-actions:exempt`
 * tag read through the `exemptions` member role. The value is compared without regard to case
 * (`true`, `True`, `TRUE` all exempt; the key is exact), since any spelling of true shows the
 * owner's intent. A tag that cannot be read is never taken as "not exempt": the answer is
 * `unknown`, which the rule records as `refused` with the reason, acting on nothing.
 */
export class MemberRoleExemptionChecker implements ExemptionChecker {
  readonly #sessions: MemberSessionSource;
  readonly #family: string;
  readonly #createClients: (session: MemberSession) => ExemptionClients;

  constructor(deps: MemberRoleExemptionCheckerDeps) {
    this.#sessions = deps.sessions;
    this.#family = deps.family ?? 'exemptions';
    this.#createClients = deps.createClients ?? createExemptionClients;
  }

  async check(resource: FindingResource, finding: NormalisedFinding): Promise<Verdict> {
    if (resource.kind.startsWith('k8s.')) {
      return {
        exempt: false,
        deferred: true,
        reason: `${resource.key} is checked by the cluster responder, which refuses the work if the pod or its workload carries the label ${exemptLabel.key}: "${exemptLabel.value}"`,
      };
    }
    if (['host', 'container', 'file', 'process'].includes(resource.kind)) {
      return { exempt: false, reason: 'hosts carry no exemption tag' };
    }
    const target = taggedResourceOf(resource, finding);
    if ('problem' in target) return { exempt: false, unknown: true, reason: `cannot tell whether ${resource.key} is exempt: ${target.problem}; not acting on it` };
    let value: string | undefined;
    try {
      const session = await this.#sessions.sessionFor({ accountId: target.accountId, partition: target.partition, family: this.#family, actionId: lookupSessionId });
      const clients = session.clients(`${this.#family}-tags`, () => this.#createClients(session));
      value = await readExemptionTag(clients, target.accountId, target.resource);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { exempt: false, unknown: true, reason: `cannot read the ${exemptTag.key} tag of ${resource.key} (${why}); not acting on it blindly` };
    }
    if (value === undefined) return { exempt: false, reason: `${resource.key} carries no ${exemptTag.key} tag` };
    if (value.toLowerCase() === exemptTag.value) return { exempt: true, reason: `${resource.key} is tagged ${exemptTag.key}=${value}` };
    return { exempt: false, reason: `${resource.key} is tagged ${exemptTag.key}=${JSON.stringify(value)}, which is not ${exemptTag.value}` };
  }
}

type Located = { readonly accountId: string; readonly partition: Partition; readonly resource: TaggedResource } | { readonly problem: string };

/** The account, partition and call-level names of an AWS resource, from its ARN and the finding. */
function taggedResourceOf(resource: FindingResource, finding: NormalisedFinding): Located {
  const arn = parseArn(resource.key);
  if (arn === null) return { problem: `its kind ${resource.kind} names no ARN a tag can be read from` };
  const accountId = arn.accountId !== '' ? arn.accountId : (finding.accountId ?? inputText(resource, 'aws.account.id'));
  if (accountId === undefined || accountId === '') return { problem: 'the finding names no account to read its tags in' };
  const region = arn.region !== '' ? arn.region : (inputText(resource, 'aws.region') ?? finding.region ?? defaultRegion[arn.partition]);
  if (!isRegion(region)) return { problem: `${region} is not a region` };
  const lastSegment = arn.resourceName.split('/').at(-1) ?? '';
  const at = { accountId, partition: arn.partition };
  switch (resource.kind) {
    case 'aws.iam.user':
    case 'aws.iam.role':
      return { ...at, resource: { kind: resource.kind, name: lastSegment } };
    case 'aws.ec2.instance':
      return { ...at, resource: { kind: 'aws.ec2.instance', instanceId: lastSegment, region } };
    case 'aws.s3.bucket':
      return { ...at, resource: { kind: 'aws.s3.bucket', bucket: arn.resourceName, region } };
    case 'aws.rds.db-instance':
      return { ...at, resource: { kind: 'aws.rds.db-instance', arn: resource.key, region } };
    default:
      return { problem: `no exemption tag is read for resources of kind ${resource.kind}` };
  }
}

/** Where S3 is asked first when neither the finding nor the inputs say (it redirects to the bucket's region). */
const defaultRegion: Readonly<Record<Partition, string>> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

function inputText(resource: FindingResource, name: string): string | undefined {
  const value = resource.inputs[name];
  return typeof value === 'string' ? value : undefined;
}

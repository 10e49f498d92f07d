import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startMotoServer } from '#local/moto-server.ts';
import { startLocalService } from '#local/service.ts';
import type { EventAnswer } from '#shared/automation/types.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { ms, percentile } from './stats.ts';

const distinctFindings = 500;
const deliveries = 2;
const senders = 25;
/** 4 accounts × 25 regions: 100 account-regions, 5 findings each, exactly the 5-per-minute rate of API.md. */
const accounts = ['111111111111', '222222222222', '333333333333', '444444444444'];
const regions = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-central-2',
  'eu-north-1', 'eu-south-1', 'eu-south-2', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-4', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ca-central-1', 'sa-east-1', 'me-south-1', 'af-south-1',
];
const externalId = 'bench-external-id';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ruleId = 'bench-quarantine';
const rulesYaml = `rules:
  - id: ${ruleId}
    description: The benchmark's rule, the default IAM rule in enforce with a cap above the benchmark's volume.
    mode: enforce
    match: { source: guardduty, types: ["CredentialAccess:*"] }
    run: { action: iam-quarantine }
    maxActionsPerHour: 1000
`;

interface Finding {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly user: string;
}

/**
 * `npm run bench -- events`: 1,000 GuardDuty events (500 distinct findings, each delivered twice,
 * in shuffled order from 25 concurrent senders) through POST /v1/events of the local service, a
 * rule enforcing iam-quarantine, against moto_server. Prints events/s accepted, the
 * finding→action Created latency (the POST that created it), and checks that exactly one action
 * was created per distinct finding.
 */
export async function benchEvents(): Promise<string[]> {
  const template = JSON.parse(
    await readFile(new URL('../test/fixtures/findings/written/guardduty-credential-access-iam-user.json', import.meta.url), 'utf8'),
  ) as GuardDutyEvent;
  const saved = { ...process.env };
  // Started last, just before the try whose finally stops it, so nothing above can leave it running.
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-events-'));
  const moto = await startMotoServer().catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  try {
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
    const findings = await seedUsers(moto.endpoint);
    const rulesFile = join(dataDir, 'bench-rules.yaml');
    await writeFile(rulesFile, rulesYaml);
    const service = await startLocalService({
      dataDir: join(dataDir, 'data'),
      port: 0,
      env: { TARGET_ACCOUNTS: accounts.join(','), MEMBER_ROLE_EXTERNAL_ID: externalId, AUTOMATION_RULES: rulesFile },
      hostResponder: false,
    });
    try {
      const token = await service.issuer.issue({ sub: 'bench-source', scopes: ['response-actions.events'] });
      const deliveriesInOrder = shuffle(findings.flatMap((finding) => Array.from({ length: deliveries }, () => finding)));
      const created: number[] = [];
      const outcomes = new Map<string, number>();
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: senders }, async () => {
          for (let index = next++; index < deliveriesInOrder.length; index = next++) {
            const finding = deliveriesInOrder[index];
            if (finding === undefined) break;
            const begin = performance.now();
            const response = await fetch(`${service.url}/v1/events`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(eventFor(template, finding)),
            });
            const elapsed = performance.now() - begin;
            if (response.status !== 202) throw new Error(`event refused: ${response.status} ${await response.text()}`);
            const answer = (await response.json()) as EventAnswer;
            for (const decision of answer.findings.flatMap((decided) => decided.decisions)) {
              outcomes.set(decision.outcome, (outcomes.get(decision.outcome) ?? 0) + 1);
              if (decision.outcome === 'executed') created.push(elapsed);
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const readToken = await service.issuer.issue({ sub: 'bench-reader', scopes: ['containment-response-actions.read'] });
      const actions = await actionsOfRule(service.url, readToken);
      const distinctTargets = new Set(actions.map((record) => record.resource.key)).size;
      const outcomeText = [...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ');
      return [
        `events: ${deliveriesInOrder.length} GuardDuty events (${distinctFindings} distinct findings × ${deliveries}, shuffled, ${senders} senders) via POST /v1/events: accepted ${(deliveriesInOrder.length / seconds).toFixed(0)} events/s (all 202 in ${ms(seconds * 1000)}); decisions: ${outcomeText}`,
        `events: finding→action Created (the POST that created it) p50 ${ms(percentile(created, 50))} p99 ${ms(percentile(created, 99))}`,
        `events: actions created by the rule ${actions.length} on ${distinctTargets} distinct users; distinct findings the rule enforces ${distinctFindings}: ${actions.length === distinctFindings && distinctTargets === distinctFindings ? 'equal' : 'NOT EQUAL'}`,
      ];
    } finally {
      await service.close();
    }
  } finally {
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
    await moto.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface GuardDutyEvent {
  id: string;
  account: string;
  region: string;
  detail: { id: string; accountId: string; region: string; arn: string; resource: { accessKeyDetails: { userName: string } } };
}

function eventFor(template: GuardDutyEvent, finding: Finding): GuardDutyEvent {
  const event = structuredClone(template);
  event.id = randomUUID();
  event.account = finding.account;
  event.region = finding.region;
  event.detail.id = finding.id;
  event.detail.accountId = finding.account;
  event.detail.region = finding.region;
  event.detail.arn = `arn:aws:guardduty:${finding.region}:${finding.account}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${finding.id}`;
  event.detail.resource.accessKeyDetails.userName = finding.user;
  return event;
}

/** One IAM user per finding, in the finding's account: moto keeps accounts apart by the assumed role's credentials. */
async function seedUsers(endpoint: string): Promise<Finding[]> {
  const sts = new STSClient({ endpoint, region: 'us-east-1', credentials });
  const findings: Finding[] = [];
  try {
    for (const [accountIndex, account] of accounts.entries()) {
      const assumed = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bench-seed`, RoleSessionName: 'bench-seed', ExternalId: externalId }),
      );
      const iam = new IAMClient({
        endpoint,
        region: 'us-east-1',
        credentials: {
          accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
          secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
          sessionToken: assumed.Credentials?.SessionToken ?? '',
        },
      });
      const perAccount = distinctFindings / accounts.length;
      await Promise.all(
        Array.from({ length: perAccount }, async (_, index) => {
          const user = `bench-${accountIndex}-${index}`;
          await iam.send(new CreateUserCommand({ UserName: user }));
          const region = regions[index % regions.length] ?? 'us-east-1';
          findings.push({ id: randomUUID().replaceAll('-', ''), account, region, user });
        }),
      );
      iam.destroy();
    }
  } finally {
    sts.destroy();
  }
  return findings;
}

/** Every action the rule created, through GET /v1/actions' pages. */
async function actionsOfRule(url: string, token: string): Promise<ActionRecord[]> {
  const records: ActionRecord[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ createdBy: `automation:${ruleId}`, limit: '100', ...(cursor === null ? {} : { cursor }) });
    const response = await fetch(`${url}/v1/actions?${query.toString()}`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await response.json()) as { items: ActionRecord[]; nextCursor: string | null };
    records.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return records;
}

function shuffle<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}

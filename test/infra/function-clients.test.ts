import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, type ApiRoute } from '#functions/api/routes.ts';
import { buildServiceFunctionBundle } from '#infra/bundling/build-service-function-bundle.ts';
import { eventBridgeTargetEntry, findingsIngest } from '#infra/constructs/findings-ingest.ts';
import { trailRoutes } from '#infra/constructs/grant-trail.ts';
import { playbookStepEntry } from '#infra/constructs/playbook-runner.ts';
import { dispatchWorkEntry } from '#infra/constructs/responder-dispatch.ts';
import { markStatusEntry, sweepRespondersEntry } from '#infra/stacks/service-stack.ts';
import { makeTempDir } from './support/synth.ts';

/*
 * Each function bundles the SDK clients its own route calls and no other (issue 11: bundle figures
 * no worse): the clients found in the deployed bundle are exactly those its grants (a route's
 * `needs`) are for. A client bundled without its grant, or a grant whose client is not bundled,
 * means the wiring and the grants have drifted apart. The routes that parse no body bundle no zod.
 */

type Need = ApiRoute['needs'][number];

/** The SDK client behind each grant (null: a grant that is no client's, such as a shipped file). */
const clientOf: Record<Need, string | null> = {
  'history:read': 'client-dynamodb',
  'history:write': 'client-dynamodb',
  'history:cursors': 'client-secrets-manager',
  'start-work': 'client-sfn',
  'evidence:read': 'client-s3',
  'evidence:upload': 'client-s3',
  'responder-queues': 'client-sqs',
  'queue-credentials': 'client-sts',
  'task-callbacks': 'client-sfn',
  'work-signing-key': 'client-secrets-manager',
  'cloud-plans': 'client-lambda',
  exemptions: 'client-sts',
  'automation-rules': null,
  playbooks: null,
  'playbook-runs': 'client-sfn',
};

function clientsOf(needs: readonly Need[]): string[] {
  return [...new Set(needs.flatMap((need) => clientOf[need] ?? []))].sort();
}

/**
 * The history writer appends every write to the tamper-evident trail, whose AWS store is the
 * evidence bucket's `trail/` prefix (shared/trail/s3-trail.ts, loaded only when TRAIL_BUCKET is
 * set): a function that bundles it carries that S3 client, and only those the service stack grants
 * the trail (infra/constructs/grant-trail.ts) can use it. Its entries are checked with zod/mini
 * (shared/trail/entry.ts), so it brings no more than zod's core to a function that parses no body.
 */
const trailWriterSource = 'shared/trail/s3-trail.ts';
const trailClient = 'client-s3';

/** What a session of the exemptions member role reads tags with (shared/automation/exemptions/tag-readers.ts). */
const exemptionTagClients = ['client-ec2', 'client-iam', 'client-rds', 'client-s3'];

/** The functions that are not API routes, with the clients their grants in the service stack cover. */
const otherFunctions = [
  { id: 'MarkStatus', entry: markStatusEntry, clients: ['client-dynamodb'] },
  { id: 'DispatchWork', entry: dispatchWorkEntry, clients: ['client-dynamodb', 'client-secrets-manager', 'client-sfn', 'client-sqs'] },
  { id: 'SweepResponders', entry: sweepRespondersEntry, clients: ['client-dynamodb', 'client-sqs'] },
  // Runs and records, and the action executions its steps start.
  { id: 'PlaybookStep', entry: playbookStepEntry, clients: ['client-dynamodb', 'client-sfn'] },
  // Its needs' clients, and the exemptions role session's tag readers (EC2, IAM, RDS, S3), which act in member accounts.
  { id: findingsIngest.id, entry: eventBridgeTargetEntry, clients: [...clientsOf(findingsIngest.needs), ...exemptionTagClients].sort() },
];


const functions = [
  ...apiRoutes.map((route) => ({
    id: route.id,
    entry: route.entry,
    clients: [...clientsOf(route.needs), ...(route.needs.includes('exemptions') ? exemptionTagClients : [])].sort(),
  })),
  ...otherFunctions,
];

/** The packages whose code is in the bundle, from its source map (it lists only files with output). */
function bundledPackages(bundle: string): string[] {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  const packages = map.sources.map((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1]);
  return [...new Set(packages.filter((name) => name !== undefined))].sort();
}

/** The routes that parse no request body, and the sweep: ResponderFleet, without the protocol's schemas. */
const withoutSchemas = ['ListResponders', 'ResponderHeartbeat', 'ResponderQueueCredentials', 'DeregisterResponder', 'SweepResponders'];

describe('the SDK clients in each function bundle', () => {
  const outdir = makeTempDir('function-clients');
  const found = new Map<string, string[]>();
  const sources = new Map<string, string[]>();

  beforeAll(async () => {
    // Prepare: every function bundled as a ServiceFunction deploys it
    for (const { id, entry } of functions) {
      const bundle = await buildServiceFunctionBundle(entry, join(outdir.path, id));
      const bundled = bundledPackages(bundle);
      sources.set(id, (JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] }).sources);
      found.set(id, bundled.flatMap((name) => /^@aws-sdk\/(client-.+)$/.exec(name)?.[1] ?? []));
    }
  });

  afterAll(() => {
    outdir.remove();
  });

  const carriesTrail = (id: string): boolean => (sources.get(id) ?? []).some((source) => source.endsWith(trailWriterSource));

  it('reads the clients from the source map: the register route has its three and not the others of the responder protocol', () => {
    // Assess: queues and the signing key, no SFN (callbacks) or STS (queue credentials); S3 only as the trail's store
    expect(found.get('RegisterResponder')).toEqual(['client-dynamodb', trailClient, 'client-secrets-manager', 'client-sqs']);
    expect(carriesTrail('RegisterResponder')).toBe(true);
  });

  it.each(withoutSchemas)('%s parses no request body, so it carries none of the protocol schemas', (id) => {
    // Assess: the register route, which parses one, does carry them (the check sees them where they are)
    const protocol = (bundled: string): boolean => (sources.get(bundled) ?? []).some((source) => source.endsWith('shared/responders/protocol.ts'));
    expect(protocol('RegisterResponder')).toBe(true);
    expect(protocol(id)).toBe(false);
  });

  it.each(withoutSchemas)("%s bundles none of zod's full API: the trail's entry check (a writer bundled beside it) is zod/mini", (id) => {
    // Assess: the register route, which parses a body with the protocol schemas, does carry it (the check sees it where it is)
    const classic = (bundled: string): boolean => (sources.get(bundled) ?? []).some((source) => source.includes('node_modules/zod/v4/classic/'));
    expect(classic('RegisterResponder')).toBe(true);
    expect(classic(id)).toBe(false);
  });

  it.each([...trailRoutes, 'MarkStatus', 'DispatchWork', 'PlaybookStep', findingsIngest.id])('%s, granted the trail, bundles its writer', (id) => {
    // Assess
    expect(carriesTrail(id)).toBe(true);
  });

  it.each(functions)('$id bundles exactly the clients of its grants (and S3 where it carries the trail writer)', ({ id, clients }) => {
    // Assess
    const expected = carriesTrail(id) ? [...new Set([...clients, trailClient])].sort() : clients;
    expect(found.get(id)).toEqual(expected);
  });
});

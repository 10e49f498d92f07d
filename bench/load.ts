/**
 * `npm run bench -- load` (issue 15): the service in its own process as `npm start` runs it
 * (bench/load-service.ts), loaded by clients that each create one action and poll it every second.
 * 1. Ceiling: BENCH_LOAD_ACTIONS (1,000) concurrent actions, mixed cloud types against the
 *    instant AWS (test/support/instant-aws, in this process) and host file-quarantine through the
 *    service's host responder: lost actions, 5xx, accepted/s, completed/s, p50/p99 end to end.
 * 2. GET of a record at a steady 300 requests/s, open-loop, on the records of run 1.
 * 3. 100 concurrent iam-quarantine with polling clients against moto_server, against moto's own
 *    time for the same calls at the same concurrency.
 * Every target is printed beside its figure with PASS or MISS, and the load average beside it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachUserPolicyCommand, CreateRoleCommand, CreateUserCommand, GetUserCommand, IAMClient, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startMotoServer } from '#local/moto-server.ts';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import { seedMemberRoles, seedTargets, seededKinds } from '#test/support/instant-aws/seed.ts';
import { startInstantAws } from '#test/support/instant-aws/server.ts';
import { loadAverage, openLoopGets, reachedAt, runClient, startServiceProcess, verdict, type ClientOutcome, type ServiceProcess } from './load-support.ts';
import { describeSelfTime, type CpuProfile } from './profile-summary.ts';
import { percentile } from './stats.ts';

const hostName = 'bench-load-host';
const roleName = 'ResponseActionsMember';
const externalId = 'bench-load-external-id';
const scopes = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
const pollMs = 1000;

export async function benchLoad(): Promise<string[]> {
  const actions = Number(process.env['BENCH_LOAD_ACTIONS'] ?? '1000');
  // BENCH_LOAD_RUNS=ceiling or =moto runs one of the two (profiling); both by default.
  const runs = (process.env['BENCH_LOAD_RUNS'] ?? 'ceiling,moto').split(',');
  const lines: string[] = [];
  if (runs.includes('ceiling')) lines.push(...(await ceilingRun(actions)));
  if (runs.includes('moto')) lines.push(...(await motoRatio(100)));
  return lines;
}

/** Runs 1 and 2: the mixed load against the instant AWS, then GETs at 300/s on its records. */
async function ceilingRun(actions: number): Promise<string[]> {
  const aws = await startInstantAws();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-load-'));
  let service: ServiceProcess | undefined;
  try {
    await seedMemberRoles(aws, aws.world.callerAccount, roleName, externalId, ['iam', 'iam-access-keys', 'private', 'ec2']);
    // A fifth of the actions host file-quarantine, the rest spread over the four cloud kinds.
    const hostCount = Math.floor(actions / 5);
    const perKind = Math.ceil((actions - hostCount) / seededKinds.length);
    const cloud = (await Promise.all(seededKinds.map((kind) => seedTargets(aws, kind, perKind, `load-${randomUUID().slice(0, 6)}`)))).flat();
    const bodies: unknown[] = cloud.slice(0, actions - hostCount).map((request) => ({ type: request.type, inputs: request.inputs }));
    for (let index = 0; index < hostCount; index += 1) {
      bodies.splice(index * 5, 0, { type: 'file-quarantine', inputs: { 'host.id': hostName, 'path.absolute': `/srv/bench/load-${String(index)}` } });
    }
    service = await startServiceProcess({
      DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      TARGET_ACCOUNTS: aws.world.callerAccount,
      MEMBER_ROLE_EXTERNAL_ID: externalId,
      LOAD_HOST_NAME: hostName,
    });
    const issuer = await openDevIssuer(dataDir);
    // One token per client, as separate SOC tools would hold.
    const tokens = await Promise.all(bodies.map((_, index) => issuer.issue({ sub: `load-client-${String(index)}`, scopes })));
    await warmUp(service.url, tokens[0] ?? '');
    aws.world.calls.clear();
    const loadBefore = loadAverage();
    const cpuBefore = await service.cpuSeconds();
    const started = performance.now();
    const outcomes = await Promise.all(bodies.map((body, index) => runClient(service?.url ?? '', tokens[index] ?? '', body, started, pollMs, 300_000)));
    const cpu = (await service.cpuSeconds()) - cpuBefore;
    const lines = summarize(`load: ${String(bodies.length)} concurrent actions (${String(bodies.length - hostCount)} cloud over ${seededKinds.join(', ')} against the instant AWS; ${String(hostCount)} host file-quarantine), each client polling every ${String(pollMs / 1000)} s`, outcomes, started, loadBefore, true);

    const calls = [...aws.world.calls].sort((a, b) => b[1] - a[1]).map(([call, count]) => `${call} ${(count / (bodies.length - hostCount)).toFixed(2)}`);
    const polls = outcomes.reduce((sum, outcome) => sum + outcome.polls, 0);
    lines.push(
      `  service CPU ${cpu.toFixed(1)} s for ${String(bodies.length)} actions and ${String(polls)} polling GETs: ${((cpu * 1000) / bodies.length).toFixed(1)} ms per action with its polls (a ceiling of ${(bodies.length / cpu).toFixed(0)} actions/s per core at this polling)`,
      `  instant AWS calls per cloud action: ${calls.join(', ')}`,
    );
    const ids = outcomes.flatMap((outcome) => (outcome.id === null ? [] : [outcome.id]));
    const rate = 300;
    const loadGets = loadAverage();
    const getCpuBefore = await service.cpuSeconds();
    await service.pauses();
    const gets = await openLoopGets(service.url, tokens[0] ?? '', ids, rate, 10);
    const pauses = await service.pauses();
    const getCpu = (await service.cpuSeconds()) - getCpuBefore;
    const getP99 = percentile(gets.latencies, 99);
    const ms = (value: number): string => value.toFixed(1);
    lines.push(
      `load: GET /v1/actions/{id} open-loop at ${String(rate)}/s for 10 s over ${String(ids.length)} records: p50 ${percentile(gets.latencies, 50).toFixed(1)} ms, p99 ${getP99.toFixed(1)} ms; ${String(gets.serverErrors)} 5xx, ${String(gets.notOk)} other non-200, ${String(gets.failed)} without answer [${loadGets}]`,
      `  service CPU ${getCpu.toFixed(1)} s for ${String(gets.latencies.length)} GETs: ${((getCpu * 1000) / Math.max(1, gets.latencies.length)).toFixed(2)} ms per GET`,
      ...(await windowProfileLine()),
      `  where the tail waited: sent late by this process p99 ${ms(percentile(gets.sentLate, 99))} ms (its event loop p99 ${ms(gets.clientLoopP99)} ms); from the send p50 ${ms(percentile(gets.fromSend, 50))}, p99 ${ms(percentile(gets.fromSend, 99))} ms; inside the service (request parsed to response finished, ${String(pauses.servedCount)} GETs) p50 ${ms(pauses.servedP50)}, p99 ${ms(pauses.servedP99)}, max ${ms(pauses.servedMax)} ms; the service's event loop held up p50 ${ms(pauses.loopP50)}, p99 ${ms(pauses.loopP99)}, max ${ms(pauses.loopMax)} ms; ${String(pauses.gcCount)} GC pauses, ${ms(pauses.gcTotalMs)} ms in all, longest ${ms(pauses.gcMaxMs)} ms`,
      `  target GET p99 < 20 ms at 300/s: ${getP99.toFixed(1)} ms ${verdict(getP99 < 20 && gets.serverErrors === 0 && gets.failed === 0)}`,
    );
    // The same GETs at a third of the rate: a tail that shrinks with the rate is requests queued behind each other, not pauses.
    await service.pauses();
    const slower = await openLoopGets(service.url, tokens[0] ?? '', ids, rate / 3, 10);
    const slowerPauses = await service.pauses();
    lines.push(
      `  the same at ${String(rate / 3)}/s: p50 ${ms(percentile(slower.latencies, 50))} ms, p99 ${ms(percentile(slower.latencies, 99))} ms (from the send ${ms(percentile(slower.fromSend, 99))} ms, inside the service ${ms(slowerPauses.servedP99)} ms, its event loop held up at most ${ms(slowerPauses.loopMax)} ms); ${String(slower.serverErrors)} 5xx, ${String(slower.failed)} without answer [${loadAverage()}]`,
    );
    return lines;
  } finally {
    await service?.stop();
    await aws.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The GET window's CPU profile by place, when BENCH_LOAD_WINDOW_PROFILE named a file for it. */
async function windowProfileLine(): Promise<string[]> {
  const file = process.env['BENCH_LOAD_WINDOW_PROFILE'];
  if (file === undefined) return [];
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  return [`  the service's CPU profile of the GET window (${file}), self time: ${describeSelfTime(profile)}`];
}

/** One action through the service before the clock starts, so first-use costs (module loading, first connections) are not the load's. */
async function warmUp(url: string, token: string): Promise<void> {
  const response = await fetch(`${url}/v1/action-types`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
}

function summarize(title: string, outcomes: readonly ClientOutcome[], started: number, load: string, rateTarget: boolean): string[] {
  const accepted = outcomes.filter((outcome) => outcome.id !== null);
  const records = accepted.flatMap((outcome) => (outcome.record === null ? [] : [outcome.record]));
  const completed = records.filter((record) => record.status === 'Completed');
  const ended = records.filter((record) => record.status === 'Completed' || record.status === 'Error');
  const lost = outcomes.length - ended.length;
  const serverErrors = outcomes.reduce((sum, outcome) => sum + outcome.serverErrors, 0);
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failedRequests, 0);
  const refused = outcomes.flatMap((outcome) => (outcome.refused === null ? [] : [outcome.refused]));
  const acceptSeconds = Math.max(...accepted.map((outcome) => outcome.acceptedAt)) / 1000;
  const firstCreated = Math.min(...records.map((record) => reachedAt(record, 'Created')));
  const lastEnded = Math.max(...ended.map((record) => reachedAt(record, record.status)));
  const completeSeconds = (lastEnded - firstCreated) / 1000;
  const latencies = completed.map((record) => reachedAt(record, 'Completed') - reachedAt(record, 'Created'));
  const phase = (from: string, to: string): string => percentile(completed.map((record) => reachedAt(record, to) - reachedAt(record, from)), 50).toFixed(0);
  const acceptedRate = accepted.length / acceptSeconds;
  const completedRate = completed.length / completeSeconds;
  const errors = ended.length - completed.length;
  return [
    title,
    `  ${String(accepted.length)} accepted (202), ${String(completed.length)} Completed, ${String(errors)} Error, ${String(lost)} lost (no end seen), ${String(serverErrors)} 5xx, ${String(failed)} requests without answer${refused.length > 0 ? `; refused: ${refused.slice(0, 3).join(' | ')}` : ''} (wall ${((performance.now() - started) / 1000).toFixed(1)} s) [${load} at start]`,
    `  accepted ${acceptedRate.toFixed(0)}/s (all 202 within ${acceptSeconds.toFixed(2)} s), completed ${completedRate.toFixed(0)}/s (first Created to last end ${completeSeconds.toFixed(2)} s)`,
    `  Created→Completed p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; phases p50 (ms): Created→Enqueued ${phase('Created', 'Enqueued')}, Enqueued→Running ${phase('Enqueued', 'Running')}, Running→Completed ${phase('Running', 'Completed')}`,
    `  target 0 lost, 0 5xx: ${String(lost)} lost, ${String(serverErrors)} 5xx ${verdict(lost === 0 && serverErrors === 0 && errors === 0)}`,
    ...(rateTarget ? [`  target ≥ 200 actions/s accepted and completed: accepted ${acceptedRate.toFixed(0)}/s, completed ${completedRate.toFixed(0)}/s ${verdict(acceptedRate >= 200 && completedRate >= 200)}`] : []),
  ];
}

/** Run 3: `concurrency` iam-quarantine with polling clients through the service against moto, and moto alone for the same calls. */
async function motoRatio(concurrency: number): Promise<string[]> {
  const moto = await startMotoServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-load-moto-'));
  const account = '123456789012';
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  const memberRole = memberRoleNameOf(roleName, 'iam');
  let service: ServiceProcess | undefined;
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: memberRole,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    const users = await Promise.all(
      Array.from({ length: 2 * concurrency }, async (_, index) => {
        const name = `load-${String(index)}-${randomUUID().slice(0, 6)}`;
        await iam.send(new CreateUserCommand({ UserName: name }));
        return name;
      }),
    );
    service = await startServiceProcess({
      DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      TARGET_ACCOUNTS: account,
      MEMBER_ROLE_EXTERNAL_ID: externalId,
    });
    const issuer = await openDevIssuer(dataDir);
    const tokens = await Promise.all(users.slice(0, concurrency).map((_, index) => issuer.issue({ sub: `moto-client-${String(index)}`, scopes })));
    await warmUp(service.url, tokens[0] ?? '');
    const load = loadAverage();
    const started = performance.now();
    const outcomes = await Promise.all(
      users.slice(0, concurrency).map((name, index) =>
        runClient(service?.url ?? '', tokens[index] ?? '', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': `arn:aws:iam::${account}:user/${name}` } }, started, pollMs, 120_000),
      ),
    );
    const lines = summarize(`load vs moto: ${String(concurrency)} concurrent iam-quarantine against moto_server, each client polling every ${String(pollMs / 1000)} s`, outcomes, started, load, false);
    const completed = outcomes.flatMap((outcome) => (outcome.record?.status === 'Completed' ? [outcome.record] : []));
    const serviceP99 = percentile(completed.map((record) => reachedAt(record, 'Completed') - reachedAt(record, 'Created')), 99);

    // moto's own time for the calls one quarantine makes, `concurrency` at once, nothing in between.
    const loadDirect = loadAverage();
    const direct = await Promise.all(
      users.slice(concurrency).map(async (name) => {
        const begin = performance.now();
        await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${memberRole}`, RoleSessionName: 'bench', ExternalId: externalId }));
        await iam.send(new GetUserCommand({ UserName: name }));
        await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }));
        await iam.send(new ListUserPoliciesCommand({ UserName: name }));
        await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }));
        await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }));
        return performance.now() - begin;
      }),
    );
    const motoP99 = percentile(direct, 99);
    const ratio = serviceP99 / motoP99;
    lines.push(
      `  moto alone, the same 6 STS/IAM calls per quarantine, ${String(concurrency)} at once: p50 ${percentile(direct, 50).toFixed(0)} ms, p99 ${motoP99.toFixed(0)} ms [${loadDirect}]`,
      `  target p99 within 1.25× of moto's own: ${serviceP99.toFixed(0)} ms / ${motoP99.toFixed(0)} ms = ${ratio.toFixed(2)}× ${verdict(ratio <= 1.25)}`,
    );
    return lines;
  } finally {
    await service?.stop();
    iam.destroy();
    sts.destroy();
    await moto.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

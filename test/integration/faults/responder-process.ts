/**
 * A host responder as a process of its own, so a test can SIGKILL it mid-action: the shared runner
 * (responders/common) with the test's marker action, receiving straight from the local service's
 * embedded SQS over its unix socket (as `npm start`'s own responder does; the local service has no
 * queue-credentials route). Started by responder-killed.test.ts with one JSON argument:
 * { apiUrl, token, name, stateDir, markers, signingKey, sqsSocket, queuePrefix, hang }.
 * With `hang`, the action records prior, applies (the marker line) and then never finishes.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { unixSocketAgent } from '#local/data-dir.ts';
import { createLogger } from '#shared/log.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { markerAction } from '#test/support/responder-harness.ts';
import { runResponder } from '../../../responders/common/runner.ts';
import { queueWorkSource } from '../../../responders/common/work-source.ts';

interface ProcessSettings {
  readonly apiUrl: string;
  readonly token: string;
  readonly name: string;
  readonly stateDir: string;
  readonly markers: string;
  readonly signingKey: unknown;
  readonly sqsSocket: string;
  readonly queuePrefix: string;
  readonly hang: boolean;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ProcessSettings;
const sqs = new SQSClient({
  endpoint: 'http://sqs.local-socket',
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  requestHandler: { httpAgent: unixSocketAgent(settings.sqsSocket) },
});
const target = { kind: 'host', name: settings.name } as const;
const controller = new AbortController();
process.once('SIGTERM', () => { controller.abort(); });
await runResponder({
  apiUrl: settings.apiUrl,
  token: settings.token,
  kind: 'host',
  name: settings.name,
  version: 'fault-test',
  actions: [markerAction(settings.markers, () => (settings.hang ? new Promise<void>(() => undefined) : Promise.resolve()))],
  signingKeys: [settings.signingKey],
  stateDir: settings.stateDir,
  workSource: queueWorkSource(new ResponderQueues({ client: sqs, prefix: settings.queuePrefix }), target),
  pollWaitSeconds: 1,
  heartbeatSeconds: 1,
  retryBackoffMs: 50,
  logger: createLogger((line) => process.stdout.write(`${line}\n`), 'debug'),
  signal: controller.signal,
});
sqs.destroy();

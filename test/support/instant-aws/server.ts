/**
 * The instant AWS: one in-process HTTP server answering, from memory and without latency, the
 * IAM, STS and EC2 (AWS Query, XML) and S3 (REST-XML) calls the IAM, IAM access key, EC2 instance
 * profile and S3 bucket actions make. Point AWS_ENDPOINT_URL at it to measure the service's own
 * ceiling (`npm run bench -- load`). It routes on the SigV4 credential scope, as moto_server does,
 * and knows the caller by its access key: credentials STS issued act in the account of the role
 * they came from (until they expire); any other key acts in `callerAccount`. Signatures are not
 * checked: the service is the only client, and the figure is its own cost.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerEc2, answerIam, answerSts } from './query.ts';
import { answerS3 } from './s3.ts';
import { World, type Account } from './state.ts';
import { AwsFault, queryError, s3Error, type XmlAnswer } from './xml.ts';

export { World } from './state.ts';

export interface InstantAws {
  readonly endpoint: string;
  readonly world: World;
  close(): Promise<void>;
}

const maxBody = 1024 * 1024;

export async function startInstantAws(options: { readonly callerAccount?: string } = {}): Promise<InstantAws> {
  const world = new World(options.callerAccount ?? '123456789012');
  const server = createServer((request, response) => {
    void serve(world, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('instant AWS failed');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    world,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}

async function serve(world: World, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new Error('request too large');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([\w-]+)\/([\w-]+)\/aws4_request/.exec(request.headers.authorization ?? '');
  const [, accessKeyId = '', region = 'us-east-1', service = ''] = scope ?? [];
  const url = new URL(request.url ?? '/', 'http://instant-aws');
  const protocol = service === 's3' ? 's3' : service === 'ec2' ? 'ec2' : service === 'sts' ? 'sts' : 'iam';
  let answer: XmlAnswer;
  try {
    if (scope === null) throw new AwsFault(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const account = caller(world, accessKeyId, request.headers['x-amz-security-token']);
    if (service === 's3') {
      world.count(`s3:${request.method ?? 'GET'} ${[...url.searchParams.keys()].join(',')}`);
      answer = answerS3(world, account, { method: request.method ?? 'GET', url, host: request.headers.host ?? '', headers: request.headers, body, region });
    } else {
      const parameters = new URLSearchParams(request.method === 'POST' ? body : url.search);
      world.count(`${service}:${parameters.get('Action') ?? '?'}`);
      if (service === 'iam') answer = answerIam(world, account, parameters);
      else if (service === 'sts') answer = answerSts(world, account, parameters);
      else if (service === 'ec2') answer = answerEc2(account, region, parameters);
      else throw new AwsFault(400, 'UnknownService', `the instant AWS does not answer ${service}`);
    }
  } catch (error) {
    if (!(error instanceof AwsFault)) throw error;
    answer = protocol === 's3' ? s3Error(error, url.pathname) : queryError(protocol, error);
  }
  response.writeHead(answer.status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'instant', ...answer.headers });
  response.end(answer.body);
}

/** The account the caller acts in: STS-issued credentials (their token matching, unexpired) act in their role's account. */
function caller(world: World, accessKeyId: string, sessionToken: string | string[] | undefined): Account {
  const issued = world.sessions.get(accessKeyId);
  if (issued === undefined) {
    if (accessKeyId.startsWith('ASIA')) throw new AwsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    return world.account(world.callerAccount);
  }
  if (sessionToken !== issued.sessionToken) throw new AwsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (issued.expiration.getTime() <= Date.now()) throw new AwsFault(403, 'ExpiredToken', 'The security token included in the request is expired');
  return world.account(issued.account);
}

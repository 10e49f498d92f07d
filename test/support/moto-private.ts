/**
 * S3 and RDS helpers for the make-cloud-resource-private tests against moto_server: a front that
 * names each S3 and RDS request and answers GetBucketPolicyStatus (which moto lacks), and bucket
 * and DB instance fixtures.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type PublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3';
import { emulatorCredentials } from './history-store.ts';

/** An S3 client straight to moto, as the test's own admin (path-style, as moto serves buckets on its own host). */
export function motoS3Client(motoEndpoint: string, region: string): S3Client {
  return new S3Client({ endpoint: motoEndpoint, region, credentials: emulatorCredentials, forcePathStyle: true });
}

/** An RDS client straight to moto, as the test's own admin. */
export function motoRdsClient(motoEndpoint: string, region: string): RDSClient {
  return new RDSClient({ endpoint: motoEndpoint, region, credentials: emulatorCredentials });
}

/** One request the front received, named as the AWS API names it (`PutPublicAccessBlock`, `ModifyDBInstance`, ...). */
export interface PrivateFrontRequest {
  readonly operation: string;
  /** The bucket of an S3 request, the DBInstanceIdentifier of an RDS one, else null. */
  readonly resource: string | null;
}

export interface PrivateFront {
  /** Point AWS_ENDPOINT_URL here. */
  readonly endpoint: string;
  readonly requests: readonly PrivateFrontRequest[];
  close(): Promise<void>;
}

/** S3 bucket sub-resources the family touches, by method, as API operation names. */
const s3Operations: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  publicAccessBlock: { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' },
  policyStatus: { GET: 'GetBucketPolicyStatus' },
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
};

/**
 * A front for `upstream` (moto, or the IAM front before it, which checks AssumeRole) that records
 * every request by its operation name and answers GetBucketPolicyStatus itself: moto serves
 * `?policyStatus` as a ListObjects. The answer follows AWS's rule in a simplified form: a policy
 * is public when one of its Allow statements names the principal `*` with no Condition; no
 * policy answers NoSuchBucketPolicy, as AWS does.
 */
export async function startPrivateFront(upstream: string, motoEndpoint: string): Promise<PrivateFront> {
  const requests: PrivateFrontRequest[] = [];
  const s3 = motoS3Client(motoEndpoint, 'us-east-1');
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://front');
    const method = request.method ?? 'GET';
    const form = new URLSearchParams(body.toString('utf8'));
    const queryAction = form.get('Action');
    const bucket = url.pathname.split('/').find((segment) => segment !== '') ?? null;
    const subresource = Object.keys(s3Operations).find((name) => url.searchParams.has(name));
    const operation =
      queryAction ?? (subresource === undefined ? `${method} ${url.pathname}` : (s3Operations[subresource]?.[method] ?? `${method} ?${subresource}`));
    requests.push({ operation, resource: queryAction === null ? bucket : form.get('DBInstanceIdentifier') });

    if (operation === 'GetBucketPolicyStatus' && bucket !== null) {
      const answer = await policyStatusOf(s3, bucket);
      response.writeHead(answer.status, { 'content-type': 'application/xml' });
      response.end(answer.body);
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await fetch(`${upstream}${request.url ?? '/'}`, { method, headers, ...(body.length > 0 ? { body } : {}) });
    const answerBody = Buffer.from(await answer.arrayBuffer());
    const answerHeaders: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) answerHeaders[name] = value;
    });
    response.writeHead(answer.status, answerHeaders);
    response.end(answerBody);
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) =>
    server.once('listening', () => {
      resolve();
    }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      s3.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

function s3Error(status: number, code: string, message: string): { status: number; body: string } {
  return { status, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>` };
}

async function policyStatusOf(s3: S3Client, bucket: string): Promise<{ status: number; body: string }> {
  let policy: string | undefined;
  try {
    ({ Policy: policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchBucket') return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (error instanceof Error && error.name === 'NoSuchBucketPolicy') return s3Error(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
    throw error;
  }
  const document = JSON.parse(policy ?? '{}') as { Statement?: unknown };
  const statements = (Array.isArray(document.Statement) ? document.Statement : [document.Statement]) as {
    Effect?: string;
    Principal?: unknown;
    Condition?: unknown;
  }[];
  const isPublic = statements.some(
    (statement) => statement.Effect === 'Allow' && statement.Condition === undefined && namesEveryone(statement.Principal),
  );
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?><PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>${String(isPublic)}</IsPublic></PolicyStatus>`,
  };
}

function namesEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null || !('AWS' in principal)) return false;
  const aws = principal.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Puts a bucket public access block; settings left out are off. */
export async function putBlock(s3: S3Client, bucket: string, block: PublicAccessBlockConfiguration): Promise<void> {
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: block.BlockPublicAcls ?? false,
        IgnorePublicAcls: block.IgnorePublicAcls ?? false,
        BlockPublicPolicy: block.BlockPublicPolicy ?? false,
        RestrictPublicBuckets: block.RestrictPublicBuckets ?? false,
      },
    }),
  );
}

/** The bucket's public access block as its four booleans, or null when it has none. */
export async function readBlock(s3: S3Client, bucket: string): Promise<Required<PublicAccessBlockConfiguration> | null> {
  try {
    const { PublicAccessBlockConfiguration: block } = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    return {
      BlockPublicAcls: block?.BlockPublicAcls ?? false,
      IgnorePublicAcls: block?.IgnorePublicAcls ?? false,
      BlockPublicPolicy: block?.BlockPublicPolicy ?? false,
      RestrictPublicBuckets: block?.RestrictPublicBuckets ?? false,
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchPublicAccessBlockConfiguration') return null;
    throw error;
  }
}

/** Exposes a bucket the way incidents find them: a public-read ACL and a policy letting anyone read its objects. */
export async function exposeBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
      }),
    }),
  );
}

/** A standalone PostgreSQL DB instance; returns its ARN. */
export async function createDbInstance(rds: RDSClient, identifier: string, publiclyAccessible: boolean): Promise<string> {
  const { DBInstance } = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: identifier,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'incident',
      MasterUserPassword: 'not-a-real-password-1',
      PubliclyAccessible: publiclyAccessible,
    }),
  );
  return DBInstance?.DBInstanceArn ?? '';
}

/** An Aurora PostgreSQL cluster with one publicly accessible member instance; returns the member's ARN. */
export async function createAuroraMember(rds: RDSClient, clusterIdentifier: string, instanceIdentifier: string): Promise<string> {
  await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: clusterIdentifier,
      Engine: 'aurora-postgresql',
      MasterUsername: 'incident',
      MasterUserPassword: 'not-a-real-password-1',
    }),
  );
  const { DBInstance } = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: instanceIdentifier,
      DBClusterIdentifier: clusterIdentifier,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
      PubliclyAccessible: true,
    }),
  );
  return DBInstance?.DBInstanceArn ?? '';
}

export async function publiclyAccessible(rds: RDSClient, identifier: string): Promise<boolean | undefined> {
  const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
  return DBInstances?.[0]?.PubliclyAccessible;
}

export async function setPubliclyAccessible(rds: RDSClient, identifier: string, value: boolean): Promise<void> {
  await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, PubliclyAccessible: value, ApplyImmediately: true }));
}

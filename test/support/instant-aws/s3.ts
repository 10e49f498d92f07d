/**
 * S3 over REST-XML, answered from the instant AWS's memory: CreateBucket, and the public access
 * block, policy status and ACL calls make-cloud-resource-private makes on a bucket. Path-style
 * (`/<bucket>?publicAccessBlock`) and virtual-hosted (`<bucket>.host/`) requests are both read.
 */
import type { Account, Bucket, PublicAccessBlock, World } from './state.ts';
import { AwsFault, el, raw, type XmlAnswer } from './xml.ts';

const namespace = 'http://s3.amazonaws.com/doc/2006-03-01/';
const settings = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
const allUsers = 'http://acs.amazonaws.com/groups/global/AllUsers';

export interface S3Request {
  readonly method: string;
  readonly url: URL;
  readonly host: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly region: string;
}

/** The bucket a request names (first path segment, or the Host's first label when the host is not the endpoint's), and its sub-resource. */
function target(request: S3Request): { bucket: string; subresource: string } {
  const hostBucket = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.(?:127\.0\.0\.1|localhost)(?::\d+)?$/.exec(request.host)?.[1];
  const path = request.url.pathname.split('/').filter((segment) => segment !== '');
  const bucket = hostBucket ?? decodeURIComponent(path[0] ?? '');
  const subresource = ['publicAccessBlock', 'policyStatus', 'acl'].find((name) => request.url.searchParams.has(name)) ?? '';
  return { bucket, subresource };
}

export function answerS3(world: World, account: Account, request: S3Request): XmlAnswer {
  const { bucket: name, subresource } = target(request);
  if (name === '') throw new AwsFault(400, 'InvalidRequest', 'the instant AWS does not answer ListBuckets');
  if (request.method === 'PUT' && subresource === '') return createBucket(world, account, name, request);
  const bucket = world.buckets.get(name);
  if (bucket === undefined) throw new AwsFault(404, 'NoSuchBucket', 'The specified bucket does not exist');
  const expectedOwner = request.headers['x-amz-expected-bucket-owner'];
  if ((expectedOwner !== undefined && expectedOwner !== bucket.account) || bucket.account !== account.id) {
    throw new AwsFault(403, 'AccessDenied', 'Access Denied');
  }
  switch (`${request.method} ${subresource}`) {
    case 'GET publicAccessBlock':
      if (bucket.publicAccessBlock === null) throw new AwsFault(404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found');
      return xml('PublicAccessBlockConfiguration', settings.map((setting) => el(setting, bucket.publicAccessBlock?.[setting] ?? false)).join(''));
    case 'PUT publicAccessBlock':
      bucket.publicAccessBlock = parseBlock(request.body);
      return { status: 200, body: '' };
    case 'DELETE publicAccessBlock':
      bucket.publicAccessBlock = null;
      return { status: 204, body: '' };
    case 'GET policyStatus':
      if (bucket.policyIsPublic === null) throw new AwsFault(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      return xml('PolicyStatus', el('IsPublic', effectivelyPublic(bucket)));
    case 'GET acl':
      return xml('AccessControlPolicy', aclXml(bucket));
    default:
      throw new AwsFault(405, 'MethodNotAllowed', `the instant AWS does not answer ${request.method} ?${subresource} on a bucket`);
  }
}

function createBucket(world: World, account: Account, name: string, request: S3Request): XmlAnswer {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new AwsFault(400, 'InvalidBucketName', 'The specified bucket is not valid.');
  const existing = world.buckets.get(name);
  if (existing !== undefined) {
    throw existing.account === account.id
      ? new AwsFault(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.')
      : new AwsFault(409, 'BucketAlreadyExists', 'The requested bucket name is not available.');
  }
  const region = /<LocationConstraint>([\w-]+)<\/LocationConstraint>/.exec(request.body)?.[1] ?? 'us-east-1';
  if (region !== request.region) throw new AwsFault(400, 'IllegalLocationConstraintException', `The ${region} location constraint is incompatible with the region ${request.region}.`);
  world.addBucket(account.id, name, region);
  return { status: 200, body: '', headers: { location: `/${name}` } };
}

/** A PublicAccessBlockConfiguration document: each of the four settings, `true` or `false` (absent: false, as S3 reads it). */
function parseBlock(body: string): PublicAccessBlock {
  if (!/^(<\?xml[^>]*\?>)?\s*<PublicAccessBlockConfiguration[\s>]/.test(body)) throw new AwsFault(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const block = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };
  for (const setting of settings) {
    const value = new RegExp(`<${setting}>([^<]*)</${setting}>`).exec(body)?.[1];
    if (value !== undefined && value !== 'true' && value !== 'false') throw new AwsFault(400, 'MalformedXML', `${setting} must be true or false`);
    block[setting] = value === 'true';
  }
  return block;
}

/** A public policy stops counting as public once RestrictPublicBuckets is on, as S3 evaluates it. */
function effectivelyPublic(bucket: Bucket): boolean {
  return bucket.policyIsPublic === true && bucket.publicAccessBlock?.RestrictPublicBuckets !== true;
}

function aclXml(bucket: Bucket): string {
  const ownerId = `${bucket.account}c0ffee`.padEnd(64, '0');
  const owner = el('ID', ownerId) + el('DisplayName', 'owner');
  const ownerGrant = raw('Grant', `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${owner}</Grantee>${el('Permission', 'FULL_CONTROL')}`);
  const publicGrant = bucket.publicReadAcl ? raw('Grant', `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">${el('URI', allUsers)}</Grantee>${el('Permission', 'READ')}`) : '';
  return raw('Owner', owner) + raw('AccessControlList', ownerGrant + publicGrant);
}

function xml(root: string, inner: string): XmlAnswer {
  return { status: 200, body: `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="${namespace}">${inner}</${root}>` };
}

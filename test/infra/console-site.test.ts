import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { CachePolicy, OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import type { ResponseActionsApp } from '#infra/build-app.ts';
import { consoleRewriteFunctionCode } from '#infra/constructs/console-site.ts';
import { personScopes } from '#functions/auth/person-groups.ts';
import { loadConfig } from '#shared/config/config.ts';
import { isProtectedTarget } from '#shared/guards/protected-targets.ts';
import { consoleContentSecurityPolicy } from '#shared/http/console-headers.ts';
import { viewerRequestHandler } from './support/cloudfront-function.ts';
import { evaluate, symbolic } from './support/intrinsics.ts';
import { logicalIdOf } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import { onlyResourceOf, resourcesOf } from './support/template.ts';

interface Behaviour {
  readonly PathPattern?: string;
  readonly TargetOriginId: string;
  readonly ViewerProtocolPolicy: string;
  readonly CachePolicyId: string;
  readonly OriginRequestPolicyId?: string;
  readonly AllowedMethods?: string[];
  readonly FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
}
interface DistributionConfig {
  readonly DefaultCacheBehavior: Behaviour;
  readonly CacheBehaviors: Behaviour[];
  readonly Origins: { Id: string; DomainName: unknown; OriginAccessControlId?: unknown }[];
  readonly Aliases?: string[];
  readonly ViewerCertificate?: Record<string, unknown>;
  readonly HttpVersion: string;
  readonly Logging?: Record<string, unknown>;
}

function distributionConfig(template: Template): DistributionConfig {
  return onlyResourceOf(template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig as DistributionConfig;
}

/** The console-config.json the console stack deploys, read from its asset. */
function deployedConsoleConfig(assemblyDir: string): unknown {
  for (const entry of readdirSync(assemblyDir)) {
    const file = join(assemblyDir, entry, 'console-config.json');
    if (entry.startsWith('asset.') && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  }
  throw new Error('no asset holds console-config.json');
}

describe('console hosting and sign-in (defaults: the app\'s own Cognito user pool)', () => {
  const outdir = makeTempDir('console-site');
  let built: ResponseActionsApp;
  let service: Template;
  let stateful: Template;

  beforeAll(() => {
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext() });
    const { error } = synthesize(built.app);
    if (error !== undefined) throw error;
    service = Template.fromStack(built.serviceStack);
    stateful = Template.fromStack(built.statefulStack);
    // Every stack of the app, the bundle-free way: about a minute under load.
  }, 280_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  it('keeps the bucket private: all public access blocked, TLS only, and only the distribution may read, through OAC', () => {
    // Prepare
    const bucketLogicalId = logicalIdOf(built.serviceStack.console.site.bucket);
    const distributionLogicalId = logicalIdOf(built.serviceStack.console.site.distribution);

    // Act
    const bucket = resourcesOf(service, 'AWS::S3::Bucket').find(([logicalId]) => logicalId === bucketLogicalId)?.[1];
    const policy = resourcesOf(service, 'AWS::S3::BucketPolicy').find(([, candidate]) => JSON.stringify(candidate.Properties.Bucket) === JSON.stringify({ Ref: bucketLogicalId }))?.[1];
    const statements = (policy?.Properties.PolicyDocument as { Statement: { Effect: string; Principal: unknown; Action: unknown; Condition?: Record<string, Record<string, unknown>> }[] }).Statement;

    // Assess
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket?.Properties.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'console-bucket/' });
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    const sourceArn = evaluate(allows[0]?.Condition?.StringEquals?.['AWS:SourceArn'], symbolic);
    expect(sourceArn).toBe(`arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<Ref:${distributionLogicalId}>`);
    expect(statements.filter((statement) => statement.Effect === 'Deny').length).toBeGreaterThan(0);
    expect(distributionConfig(service).Origins.some((origin) => origin.OriginAccessControlId !== undefined)).toBe(true);
  });

  it('redirects HTTP to HTTPS on every behaviour, speaks HTTP/2 and 3, and logs access', () => {
    // Act
    const config = distributionConfig(service);

    // Assess
    for (const behaviour of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) expect(behaviour.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.Logging).toMatchObject({ Prefix: 'cloudfront/', IncludeCookies: false });
    // The default *.cloudfront.net certificate: CloudFront fixes its policy, so none is configured.
    expect(config.ViewerCertificate).toBeUndefined();
  });

  it('sends the local server\'s Content-Security-Policy exactly, with Cognito in connect-src and no unsafe-inline, plus HSTS and the other headers', () => {
    // Act
    const policy = onlyResourceOf(service, 'AWS::CloudFront::ResponseHeadersPolicy').Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
    };
    const security = policy.SecurityHeadersConfig;
    const csp = security.ContentSecurityPolicy?.ContentSecurityPolicy;
    const expected: unknown = built.serviceStack.resolve(consoleContentSecurityPolicy(built.serviceStack.console.site.issuerOrigins));

    // Assess
    expect(csp).toEqual(expected);
    const rendered = String(evaluate(csp, symbolic));
    expect(rendered).toContain("connect-src 'self' https://cognito-idp.<AWS::Region>.amazonaws.com https://");
    expect(rendered).toContain('.auth.<AWS::Region>.amazoncognito.com');
    expect(rendered).not.toContain('unsafe-inline');
    expect(security.StrictTransportSecurity).toEqual({ AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  });

  it('serves /v1/* from the API on the same origin: uncached, every viewer header but Host (Authorization) forwarded, every method', () => {
    // Act
    const config = distributionConfig(service);
    const api = config.CacheBehaviors.find((behaviour) => behaviour.PathPattern === '/v1/*');
    const origin = config.Origins.find((candidate) => candidate.Id === api?.TargetOriginId);

    // Assess
    expect(api?.CachePolicyId).toBe(CachePolicy.CACHING_DISABLED.cachePolicyId);
    // Managed-AllViewerExceptHostHeader: all viewer headers, Authorization included, but Host (API Gateway needs its own).
    expect(api?.OriginRequestPolicyId).toBe(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId);
    expect(api?.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    expect(api?.AllowedMethods?.sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(String(evaluate(origin?.DomainName, symbolic))).toMatch(/^<Ref:ApiHttpApi\w+>\.execute-api\.<AWS::Region>\.amazonaws\.com$/);
    expect(api?.FunctionAssociations).toBeUndefined();
  });

  it('rewrites page addresses to /index.html in a viewer-request function, leaving files and the API alone', () => {
    // Prepare
    const fn = onlyResourceOf(service, 'AWS::CloudFront::Function').Properties;
    const handler = viewerRequestHandler(String(fn.FunctionCode));
    const rewrite = (uri: string): string => handler({ request: { uri } }).uri;

    // Assess
    expect(fn.FunctionCode).toBe(consoleRewriteFunctionCode);
    expect((fn.FunctionConfig as { Runtime: string }).Runtime).toBe('cloudfront-js-2.0');
    expect(distributionConfig(service).DefaultCacheBehavior.FunctionAssociations?.map((association) => association.EventType)).toEqual(['viewer-request']);
    expect(rewrite('/actions/abc')).toBe('/index.html');
    expect(rewrite('/resources/arn%3Aaws%3Aec2%3A%3Ai-1')).toBe('/index.html');
    expect(rewrite('/')).toBe('/index.html');
    expect(rewrite('/assets/x.js')).toBe('/assets/x.js');
    expect(rewrite('/console-config.json')).toBe('/console-config.json');
    expect(rewrite('/v1/actions')).toBe('/v1/actions');
    expect(rewrite('/v1/actions/abc')).toBe('/v1/actions/abc');
  });

  it('makes a user pool without self sign-up, TOTP MFA required, strong passwords, threat protection, retained', () => {
    // Act
    const pool = onlyResourceOf(stateful, 'AWS::Cognito::UserPool');

    // Assess
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: { MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
      LambdaConfig: { PreTokenGenerationConfig: { LambdaVersion: 'V2_0' } },
    });
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(resourcesOf(stateful, 'AWS::Cognito::UserPoolGroup').map(([, group]) => group.Properties.GroupName).sort()).toEqual([
      'containment-readers',
      'containment-responders',
      'data-gathering-readers',
      'data-gathering-responders',
    ]);
    expect(onlyResourceOf(stateful, 'AWS::Cognito::UserPoolResourceServer').Properties).toMatchObject({
      Identifier: 'response-actions',
      Scopes: personScopes.map((scope) => ({ ScopeName: scope, ScopeDescription: expect.any(String) as unknown })),
    });
  });

  it('gives the console a public client: no secret, authorization code only, callback on the distribution, openid and the four person scopes', () => {
    // Act
    const client = onlyResourceOf(service, 'AWS::Cognito::UserPoolClient').Properties;

    // Assess
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    // The resource server's Ref (another stack's output here) is its identifier.
    const withIdentifier = { ...symbolic, output: (name: string): string => (name.includes('ResourceServer') ? 'response-actions' : `<output:${name}>`) };
    expect(evaluate(client.AllowedOAuthScopes, withIdentifier)).toEqual(['openid', ...personScopes.map((scope) => `response-actions/${scope}`)]);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(evaluate(client.CallbackURLs, symbolic)).toEqual([expect.stringMatching(/^https:\/\/<ConsoleDistribution\w+\.DomainName>\/auth\/callback$/)]);
    expect(evaluate(client.LogoutURLs, symbolic)).toEqual([expect.stringMatching(/^https:\/\/<ConsoleDistribution\w+\.DomainName>\/$/)]);
    expect(client).toMatchObject({ AccessTokenValidity: 60, IdTokenValidity: 60, TokenValidityUnits: { AccessToken: 'minutes' } });
  });

  it('has the API\'s JWT authorizer trust that pool, with the console client as audience', () => {
    // Act
    const authorizer = onlyResourceOf(service, 'AWS::ApiGatewayV2::Authorizer').Properties.JwtConfiguration as { Issuer: unknown; Audience: unknown[] };
    const clientLogicalId = resourcesOf(service, 'AWS::Cognito::UserPoolClient')[0]?.[0];

    // Assess
    expect(authorizer.Audience).toEqual([{ Ref: clientLogicalId }]);
    // The pool's ProviderURL (https://cognito-idp.<region>.amazonaws.com/<pool id>), from the stateful stack.
    expect(evaluate(authorizer.Issuer, symbolic)).toMatch(/^<output:PublishOutputFnGetAttConsoleUsersUserPool\w+ProviderURL\w+>$/);
    expect(built.serviceStack.resolve(built.serviceStack.apiAuth.issuer)).toEqual(authorizer.Issuer);
  });

  it('writes console-config.json naming the pool, the client and the scopes', () => {
    // Act
    const config = built.serviceStack.resolve(built.serviceStack.console.consoleConfig) as { auth: Record<string, unknown> };

    // Assess
    expect(config.auth).toMatchObject({ kind: 'oidc', clientId: { Ref: expect.stringMatching(/^ConsoleClient/) as unknown }, scope: personScopes.map((scope) => `response-actions/${scope}`).join(' ') });
    expect(config.auth.authority).toEqual(built.serviceStack.resolve(built.serviceStack.apiAuth.issuer));
    expect(evaluate(config.auth.authority, symbolic)).toMatch(/^<output:PublishOutputFnGetAttConsoleUsersUserPool\w+ProviderURL\w+>$/);
  });

  it('deploys the hashed assets immutable and never pruned, then the pages and console-config.json no-cache, as the local server sends them', () => {
    // Prepare
    const template = Template.fromStack(built.consoleStack);
    const deployments = resourcesOf(template, 'Custom::CDKBucketDeployment');
    const [assetsId = '', assets] = deployments.find(([, deployment]) => deployment.Properties.DestinationBucketKeyPrefix === 'assets/') ?? [];
    const [pagesId = '', pages] = deployments.find(([, deployment]) => deployment.Properties.DestinationBucketKeyPrefix === undefined) ?? [];

    // Assess
    expect(deployments).toHaveLength(2);
    expect(assets?.Properties).toMatchObject({ DestinationBucketKeyPrefix: 'assets/', Prune: false, SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' } });
    expect(pages?.Properties).toMatchObject({ Prune: true, Exclude: ['assets/*'], DistributionPaths: ['/*'], SystemMetadata: { 'cache-control': 'no-cache' } });
    // The pages wait for the assets they name (CDK writes the dependency on the assets' resources).
    const dependsOn = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[pagesId]?.DependsOn ?? [];
    expect(dependsOn).toContain(assetsId);
  });

  it('keeps the service from acting on its own console: every role of the app\'s stacks here (the sign-in trigger\'s, the file deployment\'s) and the console\'s buckets are protected targets', () => {
    // Prepare
    const deployed = { partition: 'aws', account: '123456789012', region: 'eu-west-1' };
    const value = String(evaluate(built.serviceStack.resolve(built.serviceStack.protectedTargets), deployed));
    const patterns = loadConfig({ PROTECTED_TARGETS: value }).protectedTargets;
    const bucketArn = (bucket: IBucket): string => `arn:aws:s3:::${String(evaluate(built.serviceStack.resolve(bucket.bucketName), deployed))}`;
    const stacks = [
      [built.serviceStack, service],
      [built.statefulStack, stateful],
      [built.consoleStack, Template.fromStack(built.consoleStack)],
    ] as const;

    // Assess
    for (const [stack, template] of stacks) {
      const roles = resourcesOf(template, 'AWS::IAM::Role');
      expect(roles.length, `${stack.stackName} makes roles`).toBeGreaterThan(0);
      for (const [logicalId, role] of roles) {
        const path = typeof role.Properties.Path === 'string' ? role.Properties.Path : '/';
        const arn = `arn:aws:iam::${deployed.account}:role${path}${`${stack.stackName}-${logicalId}-A1B2C3D4E5F6`.slice(0, 64)}`;
        expect(isProtectedTarget(arn, patterns), arn).toBe(true);
      }
    }
    expect(resourcesOf(stateful, 'AWS::IAM::Role').map(([logicalId]) => logicalId)).toContainEqual(expect.stringMatching(/PreTokenGeneration/));
    for (const bucket of [built.serviceStack.console.site.bucket, built.serviceStack.console.site.logBucket, built.statefulStack.evidence.bucket]) {
      expect(isProtectedTarget(bucketArn(bucket), patterns), bucketArn(bucket)).toBe(true);
    }
    expect(isProtectedTarget(`arn:aws:iam::${deployed.account}:role/ResponseActionsElsewhere-Role-A1B2`, patterns)).toBe(false);
    expect(isProtectedTarget('arn:aws:s3:::someone-elses-bucket', patterns)).toBe(false);
  });
});

describe('console with a configured OIDC issuer and a custom domain', () => {
  const outdir = makeTempDir('console-site-oidc');
  const issuer = 'https://login.example.com/tenant-1/v2.0';
  const settings = {
    authIssuer: issuer,
    authAudience: 'api://response-actions',
    consoleOidcClientId: 'console-spa',
    consoleOidcScope: 'api://response-actions/containment-response-actions.read',
    consoleDomainName: 'console.soc.example.com',
    consoleCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  };
  let built: ResponseActionsApp;
  let assemblyDir: string;

  beforeAll(() => {
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(settings) });
    const { assembly, error } = synthesize(built.app);
    if (assembly === undefined) throw new Error('the app did not synthesize', { cause: error });
    assemblyDir = assembly.directory;
  }, 280_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  it('makes no user pool or client, and the authorizer trusts the configured issuer', () => {
    // Assess
    for (const stack of [built.statefulStack, built.serviceStack, built.consoleStack]) {
      Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 0);
      Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    }
    expect(onlyResourceOf(Template.fromStack(built.serviceStack), 'AWS::ApiGatewayV2::Authorizer').Properties.JwtConfiguration).toEqual({
      Issuer: issuer,
      Audience: ['api://response-actions'],
    });
  });

  it('writes console-config.json naming that issuer and the console client, and allows only its origin in connect-src', () => {
    // Act
    const deployed = deployedConsoleConfig(assemblyDir);
    const policy = onlyResourceOf(Template.fromStack(built.serviceStack), 'AWS::CloudFront::ResponseHeadersPolicy').Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: string } };
    };

    // Assess
    expect(deployed).toEqual({ auth: { kind: 'oidc', authority: issuer, clientId: 'console-spa', scope: settings.consoleOidcScope } });
    expect(policy.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).toBe(consoleContentSecurityPolicy(['https://login.example.com']));
  });

  it('serves the custom name with its certificate and TLS 1.2 at least', () => {
    // Act
    const config = distributionConfig(Template.fromStack(built.serviceStack));

    // Assess
    expect(config.Aliases).toEqual(['console.soc.example.com']);
    expect(config.ViewerCertificate).toEqual({ AcmCertificateArn: settings.consoleCertificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
  });

  it('refuses a configured issuer without the console\'s client id, naming the key', () => {
    // Act
    const act = (): unknown => buildApp({ outdir: outdir.path, context: testContext({ authIssuer: issuer }) });

    // Assess
    expect(act).toThrow(/consoleOidcClientId: is needed with authIssuer/);
  });
});

describe('console not built', () => {
  it('fails synthesis with a sentence saying to run npm run console:build', () => {
    // Prepare: a directory without index.html
    stubOutAwsEnvironment();
    const empty = mkdtempSync(join(tmpdir(), 'response-actions-console-unbuilt-'));
    const outdir = makeTempDir('console-unbuilt');

    // Act
    const act = (): unknown => buildApp({ outdir: outdir.path, context: testContext({ consoleDir: empty }) });

    // Assess
    expect(act).toThrow(/The console is not built: .*index\.html is missing\. Run `npm run console:build` before synthesizing or deploying/);
    vi.unstubAllEnvs();
    outdir.remove();
  });
});

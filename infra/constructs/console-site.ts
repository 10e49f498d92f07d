import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';

import { acknowledgeStarOnlyFor, acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { projectRoot } from '#infra/bundling/project-root.ts';
import { consoleContentSecurityPolicy, consoleSecurityHeaders } from '#shared/http/console-headers.ts';
import { consolePagePattern } from '#shared/http/console-pages.ts';

/** Where the console's OIDC client comes back after sign-in (console/src/auth/oidc.ts's callbackPath). */
export const consoleCallbackPath = '/auth/callback';

/**
 * The viewer-request function of the site's default behaviour (cloudfront-js-2.0): a page address
 * of the console (`/actions/{id}`, `/resources/{key}`, ...: shared/http/console-pages.ts, the same
 * list the local server serves index.html for) loads `index.html` and the app's router takes over;
 * every other path, files included, goes to the bucket as asked.
 */
export const consoleRewriteFunctionCode = `var consolePage = ${consolePagePattern.toString()};
function handler(event) {
  var request = event.request;
  if (consolePage.test(request.uri)) request.uri = '/index.html';
  return request;
}
`;

/** HSTS max-age: two years, the preload list's expectation. */
const hstsMaxAge = Duration.days(730);

/** Props of {@link ConsoleSite}. */
export interface ConsoleSiteProps {
  /** The service's HTTP API, served under `/v1/*` on the site's own origin. */
  readonly api: IHttpApi;
  /**
   * What `connect-src` allows besides `'self'`: the issuer's origin (OIDC discovery) and, for
   * Cognito, the hosted domain's (token exchange).
   */
  readonly issuerOrigins: readonly string[];
  /** Days the server access and CloudFront logs are kept. */
  readonly logRetentionDays: number;
  /** A custom name and its ACM certificate (us-east-1); undefined: the distribution's `*.cloudfront.net` name. */
  readonly customDomain?: { readonly name: string; readonly certificateArn: string } | undefined;
}

/**
 * The console's hosting: a private bucket read only by CloudFront through Origin Access Control,
 * and a distribution serving it and the API (`/v1/*`) on one origin over HTTPS, with the same
 * security headers the local server sends (`shared/http/console-headers.ts`). The files are put
 * in the bucket by {@link ConsoleContent}, in the console stack.
 */
export class ConsoleSite extends Construct {
  public readonly bucket: Bucket;
  /** Server access logs of the bucket (`console-bucket/`) and CloudFront's access logs (`cloudfront/`). */
  public readonly logBucket: Bucket;
  public readonly distribution: Distribution;
  public readonly responseHeadersPolicy: ResponseHeadersPolicy;
  public readonly rewriteFunction: CloudFrontFunction;
  /** `https://<custom name or distribution domain>`, the console's origin. */
  public readonly url: string;
  /** What `connect-src` allows besides `'self'` (the issuer's origins). */
  public readonly issuerOrigins: readonly string[];

  public constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.issuerOrigins = props.issuerOrigins;

    this.logBucket = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are written with an ACL: the bucket must accept ACLs (the owner
      // still owns every object). Server access logs use the bucket policy CDK adds.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-console-logs',
          expiration: Duration.days(props.logRetentionDays),
          noncurrentVersionExpiration: Duration.days(props.logRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'console-bucket/',
      // Only a build's files: each deploy replaces them, old versions go after a month.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-old-builds', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });

    const headers = consoleSecurityHeaders(props.issuerOrigins);
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'response-actions console: the headers of shared/http/console-headers.ts',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy(props.issuerOrigins), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: hstsMaxAge, includeSubdomains: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: (['cross-origin-opener-policy', 'cross-origin-resource-policy', 'permissions-policy'] as const).map((header) => ({
          header,
          value: headers[header] ?? '',
          override: true,
        })),
      },
    });

    this.rewriteFunction = new CloudFrontFunction(this, 'PageRewrite', {
      comment: 'response-actions console: page addresses load index.html',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(consoleRewriteFunctionCode),
    });

    const apiOrigin = new HttpOrigin(`${props.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    const customDomain = props.customDomain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'response-actions console and API',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      // Only with a custom certificate: with the default *.cloudfront.net one CloudFront fixes the policy at TLSv1 (see the CFR4 acknowledgement).
      ...(customDomain === undefined
        ? {}
        : {
            domainNames: [customDomain.name],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', customDomain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      logIncludesCookies: false,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [{ function: this.rewriteFunction, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // The API on the console's own origin (connect-src 'self'): nothing cached, every viewer
        // header but Host forwarded (Authorization must reach the JWT authorizer), every method.
        '/v1/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.responseHeadersPolicy,
        },
      },
    });
    this.url = `https://${customDomain?.name ?? this.distribution.distributionDomainName}`;

    this.acknowledgeFindings(customDomain === undefined);
  }

  /** The console's OIDC redirect URI. */
  public get callbackUrl(): string {
    return `${this.url}${consoleCallbackPath}`;
  }

  /** Where the issuer sends the browser after signing out. */
  public get logoutUrl(): string {
    return `${this.url}/`;
  }

  private acknowledgeFindings(defaultCertificate: boolean): void {
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR1',
      reason:
        'No geo restriction: responders work from wherever an incident finds them, and every request but the static files needs a signed-in person\'s token; a country list would lock out travelling responders without protecting anything.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR2',
      reason:
        'No WAF web ACL: a CloudFront web ACL must live in us-east-1 while this stack deploys in any region; the files are static and public by nature, and the API behind /v1/* requires a JWT, is throttled per stage (50/s, burst 100) and alarms on 5xx. Attach an existing web ACL by hand if your policy demands one.',
    });
    if (defaultCertificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          'Without consoleDomainName the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the security policy at TLSv1 whatever is configured; browsers still negotiate TLS 1.2 or 1.3. Set consoleDomainName and consoleCertificateArn to get TLSv1.2_2021.',
      });
    }
  }
}

/** Props of {@link ConsoleContent}. */
export interface ConsoleContentProps {
  /** The built console (`index.html`, `assets/`); relative paths are from the repository root. */
  readonly consoleDir: string;
  readonly site: ConsoleSite;
  /** `console-config.json`: console/src/config.ts's ConsoleConfig. */
  readonly consoleConfig: { readonly auth: { readonly kind: 'oidc'; readonly authority: string; readonly clientId: string; readonly scope: string; readonly resource?: string } };
}

/**
 * Fails synthesis, saying what to run, when the console has not been built.
 *
 * @throws Error when `<consoleDir>/index.html` is missing
 */
export function assertConsoleBuilt(consoleDir: string): string {
  const dir = isAbsolute(consoleDir) ? consoleDir : resolve(projectRoot, consoleDir);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`The console is not built: ${join(dir, 'index.html')} is missing. Run \`npm run console:build\` before synthesizing or deploying (or set consoleDir to a built console).`);
  }
  return dir;
}

/**
 * The console's files in the site's bucket, with the Cache-Control the local server sends: the
 * hashed bundle under `assets/` immutable for a year and never pruned (a page loaded before a
 * deploy still finds the files it names), copied first; then `index.html`, the other top-level
 * files and the generated `console-config.json` as `no-cache`, so a browser or CloudFront asks
 * again each load, with an invalidation of the distribution, so a deploy is seen at once.
 */
export class ConsoleContent extends Construct {
  public readonly assets: BucketDeployment;
  public readonly pages: BucketDeployment;

  public constructor(scope: Construct, id: string, props: ConsoleContentProps) {
    super(scope, id);
    const dir = assertConsoleBuilt(props.consoleDir);

    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the console build into its bucket and invalidates the distribution',
    });
    const logGroup = new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.assets = new BucketDeployment(this, 'Assets', {
      sources: [Source.asset(join(dir, 'assets'))],
      destinationBucket: props.site.bucket,
      destinationKeyPrefix: 'assets/',
      cacheControl: [CacheControl.setPublic(), CacheControl.maxAge(Duration.days(365)), CacheControl.immutable()],
      role,
      logGroup,
      memoryLimit: 512,
      prune: false,
    });
    this.pages = new BucketDeployment(this, 'Files', {
      sources: [Source.asset(dir, { exclude: ['console-config.json', 'assets', 'assets/*'] }), Source.jsonData('console-config.json', props.consoleConfig)],
      destinationBucket: props.site.bucket,
      // Neither copied nor pruned here: the assets deployment's.
      exclude: ['assets/*'],
      cacheControl: [CacheControl.noCache()],
      distribution: props.site.distribution,
      distributionPaths: ['/*'],
      role,
      logGroup,
      memoryLimit: 512,
      prune: true,
    });
    this.pages.node.addDependency(this.assets);
    this.acknowledgeFindings(role, props.site);
  }

  /** The findings of CDK's bucket deployment: its grants and its handler are CDK's, not ours to shape. */
  private acknowledgeFindings(role: Role, site: ConsoleSite): void {
    acknowledgeStarOnlyFor(
      role,
      new Set(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']),
      'CloudFront invalidations',
      'CDK\'s bucket deployment grants cloudfront:CreateInvalidation and GetInvalidation on "*" to invalidate the console\'s distribution after a deploy; ConsoleContent fails synthesis if anything else is granted on "*" through this role.',
    );
    acknowledgeWildcardResource(
      role,
      site.bucket.arnForObjects('*'),
      'The bucket deployment replaces the whole console build (every file under the site bucket, old ones pruned): the bucket holds nothing else.',
    );
    const assetReason = 'The bucket deployment reads the console build CDK published to the bootstrap assets bucket; asset object keys are content hashes, unknown until synthesis.';
    Validations.of(role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', reason: assetReason });
    for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: `CDK's grantRead/grantReadWrite (used by its bucket deployment) name ${action}; it applies only to the assets bucket and the console's own bucket, which the deployment reads, fills and prunes.`,
      });
    }
    // The handler is a stack singleton made by CDK (its runtime is CDK's choice, pinned with the library).
    const stack = Stack.of(this);
    const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler === undefined) throw new Error('the bucket deployment\'s handler was not found in the console stack');
    const handlerReasons: Record<string, string> = {
      'AwsSolutions::AwsSolutions-L1': 'The bucket deployment handler is CDK\'s own Python function; its runtime is set by aws-cdk-lib and moves when the pinned library is updated.',
      'Serverless::Serverless-LambdaLatestVersion': 'The bucket deployment handler is CDK\'s own Python function; its runtime is set by aws-cdk-lib and moves when the pinned library is updated.',
      'Serverless::Serverless-LambdaDLQ': 'CloudFormation invokes the bucket deployment handler synchronously as a custom resource and fails the deploy when it errs; there is no asynchronous event to keep.',
      'Serverless::Serverless-LambdaTracing': 'The bucket deployment handler runs only during a deploy of the console stack; its logs (one-month log group) and the CloudFormation events say what it did, and tracing would need a change to CDK\'s function.',
    };
    for (const [id, reason] of Object.entries(handlerReasons)) Validations.of(handler).acknowledge({ id, reason });
  }
}

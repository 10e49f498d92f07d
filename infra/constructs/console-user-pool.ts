import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolGroup,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { UserPoolDomain, UserPoolResourceServer } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { personGroups, personScopes, resourceServerIdentifier } from '#functions/auth/person-groups.ts';
import { ServiceFunction } from './service-function.ts';

/** The console user pool's pre token generation trigger (event version 2). */
export const preTokenGenerationEntry = 'functions/auth/pre-token-generation.ts';

/** Props of {@link ConsoleUserPool}. */
export interface ConsoleUserPoolProps {
  /** Hosted domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). @default `response-actions-<account id>` */
  readonly domainPrefix?: string;
}

/**
 * The persons who use the console: a Cognito user pool, its hosted sign-in domain, the
 * `response-actions` resource server with API.md's four person scopes, one group per grant
 * (`containment-responders`, `containment-readers`, `data-gathering-responders`,
 * `data-gathering-readers`) and the pre token generation trigger that turns groups into the bare
 * scopes the service checks. The console's app client is made where the console's address is
 * known (the service stack), since its callback URL is on the distribution.
 *
 * - Administrators create the users (no self sign-up): the service's callers are a known team.
 * - MFA is required, TOTP only (an authenticator app, set up at first sign-in): these accounts can
 *   isolate instances and revoke sessions, and SMS is both weaker and would need an SNS role.
 * - Passwords of 14+ characters with every character class; temporary passwords last 3 days.
 * - The Plus feature plan with threat protection enforced (compromised credentials and risky
 *   sign-ins blocked); its per-person price is negligible for a SOC team.
 * - Retained with deletion protection: the people and their MFA devices are state, like the history.
 */
export class ConsoleUserPool extends Construct {
  public readonly userPool: UserPool;
  public readonly domain: UserPoolDomain;
  public readonly resourceServer: UserPoolResourceServer;
  /** Resource server scopes by bare name, for the app client's allowed scopes. */
  public readonly scopes: readonly ResourceServerScope[];
  public readonly preTokenGeneration: ServiceFunction;

  public constructor(scope: Construct, id: string, props: ConsoleUserPoolProps = {}) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.preTokenGeneration = new ServiceFunction(this, 'PreTokenGeneration', {
      entry: preTokenGenerationEntry,
      description: 'response-actions console sign-in: the access token carries the bare scopes of the person\'s groups',
      memorySize: 256,
      timeout: Duration.seconds(5),
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, this.preTokenGeneration, LambdaVersion.V2_0);
    Validations.of(this.preTokenGeneration).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'Cognito invokes the pre token generation trigger synchronously during sign-in and fails that sign-in when it errs; there is no asynchronous event a dead-letter queue could keep.',
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `response-actions-${Aws.ACCOUNT_ID}` },
    });

    this.scopes = personScopes.map((name) => new ResourceServerScope({ scopeName: name, scopeDescription: `API.md scope ${name}` }));
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: resourceServerIdentifier,
      userPoolResourceServerName: resourceServerIdentifier,
      scopes: [...this.scopes],
    });

    for (const [groupName, granted] of Object.entries(personGroups)) {
      new UserPoolGroup(this, `Group-${groupName}`, {
        userPool: this.userPool,
        groupName,
        description: `Grants ${granted.join(' and ')} in the console and API`,
      });
    }
  }

  /** The issuer of the pool's tokens, what the API's JWT authorizer and the console's OIDC client trust. */
  public get issuer(): string {
    return this.userPool.userPoolProviderUrl;
  }

  /** The hosted domain's origin, where the console's browser exchanges the code for tokens. */
  public get hostedDomainOrigin(): string {
    return this.domain.baseUrl();
  }
}

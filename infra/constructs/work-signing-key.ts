import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ServiceFunction } from './service-function.ts';

/** Environment variable naming the secret that holds the private work-signing key. */
export const WORK_SIGNING_KEY_SECRET_ARN_ENV = 'WORK_SIGNING_KEY_SECRET_ARN';

/**
 * The work-signing secret's value until an operator puts the key (`infra/scripts/work-signing-key.ts`):
 * a JSON object that is no Ed25519 JWK, so `workSigningKeyFromJwk` refuses it by name and responder
 * actions end in Error saying so, instead of being signed with a key nobody chose.
 *
 * Never change it: CloudFormation writes SecretString again whenever the template's value
 * changes, which would replace the key an operator put, and responders would refuse all work.
 */
export const workSigningKeyPlaceholder = JSON.stringify({
  notSet: 'put the private Ed25519 JWK here: npx node infra/scripts/work-signing-key.ts ensure --secret-id <this secret> (infra/README.md)',
});

/**
 * Gives a function the work-signing key: sets `WORK_SIGNING_KEY_SECRET_ARN` and grants
 * `secretsmanager:GetSecretValue` on that secret only (the AWS managed key decrypts for it).
 *
 * @param fn dispatch-work (signs work) or the register route (hands out the public half)
 * @param secret the stateful stack's work-signing secret
 */
export function grantWorkSigningKey(fn: ServiceFunction, secret: ISecret): void {
  fn.addEnvironment(WORK_SIGNING_KEY_SECRET_ARN_ENV, secret.secretArn);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
}

import { join } from 'node:path';
import { projectRoot } from './synth.ts';

/** The deployment's rules file: the shipped default set's own, valid by construction, given by path as an operator's would be. */
export const configuredRulesFile = join(projectRoot, 'shared', 'automation', 'default-rules.yaml');

/** The deployment's PLAYBOOKS file: the documented example, given by path as an operator's would be. */
export const configuredPlaybooksFile = join(projectRoot, 'docs', 'playbooks.example.yaml');

/**
 * A deployment that sets every service setting (see infra/config.ts), so each one is seen to
 * arrive; the defaults are what `testContext()` alone gives.
 */
export const fullyConfigured = {
  authIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1',
  authAudience: '4example5client6id,console-client',
  targetAccounts: '111111111111,222222222222',
  serviceAccountId: '999999999999',
  memberRoleName: 'SecurityResponseMember',
  memberExternalId: 'test-external-id-5d1e',
  completionDeadlineSeconds: 600,
  pickupDeadlineSeconds: 300,
  responderQueuePrefix: 'SecurityResponse',
  evidenceRetentionDays: 730,
  evidenceObjectLockDays: 90,
  evidenceObjectLockMode: 'COMPLIANCE',
  protectedTargets: 'arn:aws:iam::*:role/BreakGlass*',
  automationRules: configuredRulesFile,
  approvalRequired: 'arn:aws:iam::*:role/Prod*,host/db-*',
  approvalTtlSeconds: 7200,
  findingsSourceAccounts: '333333333333',
  playbooks: configuredPlaybooksFile,
  playbookRunDeadlineSeconds: 1800,
  consoleOidcClientId: 'console-client',
  consoleOidcScope: 'containment-response-actions.exec containment-response-actions.read',
  consoleOidcResource: 'api://response-actions',
  consoleDomainName: 'console.soc.example.com',
  consoleCertificateArn: 'arn:aws:acm:us-east-1:999999999999:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
} as const;

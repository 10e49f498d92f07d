export { MemberRoleExemptionChecker, type MemberRoleExemptionCheckerDeps } from './member-role-exemption-checker.ts';
export { createExemptionClients, type ExemptionClients } from './tag-readers.ts';

/**
 * The rules for the console's OIDC client settings, read by `npm start` (CONSOLE_OIDC_*) and by the
 * CDK app (consoleOidc*): one rule for both, so a value one accepts the other does not refuse.
 */

/** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const scopeTokenPattern = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** A client id goes into the authorization URL and the token request: printable, no spaces, bounded. */
export const clientIdPattern = /^[\x21-\x7E]{1,256}$/;

/** Why `value` is not an RFC 8707 resource indicator (an absolute URI without a fragment, not even an empty one); undefined when it is one. */
export function resourceIndicatorProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return `"${value}" is not an absolute URI (RFC 8707 resource indicator)`;
  if (value.includes('#')) return `"${value}" must not have a fragment (RFC 8707)`;
  return undefined;
}

/**
 * The headers every console file is served with, locally and (the same values, from
 * the CDK app's CloudFront response headers policy) by CloudFront. The policy allows scripts and styles from this
 * site only, no inline code, no frames and no plugins; `connect-src` adds the OIDC issuer's origins,
 * which the console calls for discovery and the token exchange (Cognito answers them on two
 * hosts: the issuer's and the hosted domain's). None with local sign-in.
 */
export function consoleContentSecurityPolicy(issuerOrigins: readonly string[]): string {
  const connect = ["'self'", ...issuerOrigins].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function consoleSecurityHeaders(issuerOrigins: readonly string[]): Record<string, string> {
  return {
    'content-security-policy': consoleContentSecurityPolicy(issuerOrigins),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

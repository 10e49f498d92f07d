/**
 * The headers every console file is served with, locally and (the same values, from
 * the CDK app's CloudFront response headers policy) by CloudFront. The policy allows scripts and styles from this
 * site only, no inline code, no frames and no plugins; `connect-src` adds the OIDC issuer, which
 * the console calls for discovery and the token exchange.
 */
export function consoleContentSecurityPolicy(issuerOrigin: string | null): string {
  const connect = ["'self'", ...(issuerOrigin === null ? [] : [issuerOrigin])].join(' ');
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

export function consoleSecurityHeaders(issuerOrigin: string | null): Record<string, string> {
  return {
    'content-security-policy': consoleContentSecurityPolicy(issuerOrigin),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

/**
 * The console's page addresses (console/src/app.tsx's routes, and the OIDC callback): the only
 * paths answered with index.html, by the local server (local/console/console-site.ts) and by
 * CloudFront's viewer-request function (infra/constructs/console-site.ts), so both serve the app
 * at the same addresses and nothing else ever appears to answer. Matched against the path as
 * sent, percent-encoding kept (`/resources/arn%3Aaws%3A...`). Plain regular expression syntax:
 * CloudFront Functions run its source as written.
 */
export const consolePagePattern = /^\/(?:|sign-in|auth\/callback|actions(?:\/[^/]+)?|resources\/.+|run|playbooks(?:\/[^/]+)?|playbook-runs(?:\/[^/]+)?|approvals(?:\/[^/]+)?|events|responders)$/;


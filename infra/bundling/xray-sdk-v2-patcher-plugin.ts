import type { Plugin } from 'esbuild';

/**
 * The X-Ray SDK's patcher for AWS SDK v2 (`aws-xray-sdk-core/dist/lib/patchers/aws_p.js`), which
 * `aws-xray.js` requires at load for its `captureAWS`/`captureAWSClient` exports. The service only
 * uses SDK v3 (`captureAWSv3Client`, through Powertools Tracer), but the X-Ray SDK is CommonJS, so
 * esbuild cannot drop the v2 patcher, and it brings `semver` with it into every bundle (`npm run
 * bench -- bundles` prints the bytes).
 */
const v2Patcher = /^\.\/patchers\/aws_p$/;
const xraySdkFile = /[\\/]node_modules[\\/]aws-xray-sdk-core[\\/]dist[\\/]lib[\\/]aws-xray\.js$/;

/** What the bundle loads in its place: the same two exports, each refusing with a sentence. */
export const v2PatcherReplacement = `"use strict";
function unavailable() {
  throw new Error("aws-xray-sdk-core's AWS SDK v2 patcher (captureAWS, captureAWSClient) is left out of this bundle; the service traces SDK v3 clients with captureAWSv3Client");
}
module.exports = { captureAWS: unavailable, captureAWSClient: unavailable };
`;

/**
 * esbuild plugin: `require('./patchers/aws_p')` from the X-Ray SDK's `aws-xray.js`, and only from
 * there, loads `v2PatcherReplacement` instead of the v2 patcher.
 */
export function xraySdkV2PatcherPlugin(): Plugin {
  return {
    name: 'xray-sdk-v2-patcher',
    setup(build) {
      build.onResolve({ filter: v2Patcher }, ({ importer }) =>
        xraySdkFile.test(importer) ? { path: 'aws_p.js', namespace: 'xray-sdk-v2-patcher' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'xray-sdk-v2-patcher' }, () => ({ contents: v2PatcherReplacement, loader: 'js' }));
    },
  };
}

import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { inlineSchemaKeysPlugin } from './inline-schema-keys-plugin.ts';
import { xraySdkV2PatcherPlugin } from './xray-sdk-v2-patcher-plugin.ts';
import { projectRoot } from './project-root.ts';

/** The file Lambda loads: an ES module, so the handler is `index.handler`. */
export const serviceFunctionBundleFile = 'index.mjs';

/**
 * Lets the bundled ES module `require()` the CommonJS dependencies esbuild leaves as
 * `require` calls (ESM has no `require` of its own).
 */
const esmRequireBanner =
  "import { createRequire as topLevelCreateRequire } from 'node:module';const require = topLevelCreateRequire(import.meta.url);";

/**
 * The SDK's default credential chain, replaced in every bundle by the two links Lambda uses
 * (environment, container endpoint): its SSO, ini, process and web-identity links and their nested
 * clients never apply in Lambda (lambda-credential-provider.ts; `npm run bench -- bundles` prints
 * what leaving them out saves).
 */
export const lambdaCredentialAlias = {
  '@aws-sdk/credential-provider-node': './infra/bundling/lambda-credential-provider.ts',
} as const;

/** The three size measures, each of which the bench switches off once to print what it saves. */
export const bundleMeasures = ['schemaKeys', 'credentialChain', 'xrayV2Patcher'] as const;
export type BundleMeasure = (typeof bundleMeasures)[number];

/**
 * Builds what a `ServiceFunction` deploys: `entry` (relative to the repository root, or absolute)
 * bundled with everything it imports, the AWS SDK included (ship the SDK the tests ran against, not
 * the runtime's), as a minified ES module for Node.js 24 with an external source map without sources,
 * into `outdir/index.mjs`. SDK schema modules go through `inlineSchemaKeysPlugin`, so a function
 * carries the schemas of the commands it uses rather than of its clients' whole services; the SDK's
 * credential chain is the Lambda one (`lambdaCredentialAlias`), and the X-Ray SDK's v2 patcher is
 * left out (`xraySdkV2PatcherPlugin`). `bench/bundles.ts` measures this same function, and
 * test/integration/observability/tracing.test.ts runs a bundle of it against moto with tracing on.
 * `without` leaves measures out, for the bench only. Returns the bundle's path.
 */
export async function buildServiceFunctionBundle(entry: string, outdir: string, without: readonly BundleMeasure[] = []): Promise<string> {
  const outfile = join(outdir, serviceFunctionBundleFile);
  const plugins = [
    ...(without.includes('schemaKeys') ? [] : [inlineSchemaKeysPlugin({ verifiedCacheDir: join(projectRoot, 'node_modules', '.cache', 'inline-schema-keys') })]),
    ...(without.includes('xrayV2Patcher') ? [] : [xraySdkV2PatcherPlugin()]),
  ];
  await build({
    entryPoints: [resolve(projectRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: esmRequireBanner },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    absWorkingDir: projectRoot,
    alias: without.includes('credentialChain') ? {} : lambdaCredentialAlias,
    plugins,
  });
  return outfile;
}

// `node infra/bundling/build-service-function-bundle.ts <entry> <outdir>`: how ServiceFunction's
// synchronous asset bundling runs the asynchronous build (esbuild takes plugins only asynchronously).
if (import.meta.main) {
  const [entry, outdir] = process.argv.slice(2);
  if (entry === undefined || outdir === undefined) {
    console.error('usage: build-service-function-bundle.ts <entry> <outdir>');
    process.exit(2);
  }
  await buildServiceFunctionBundle(entry, outdir);
}

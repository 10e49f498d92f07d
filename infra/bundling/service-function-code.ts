import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import type { BundlingOptions, ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { AssetCode } from 'aws-cdk-lib/aws-lambda';
import { projectRoot } from './project-root.ts';

/** The script that runs `buildServiceFunctionBundle` for one entry into one directory. */
const bundleScript = join(import.meta.dirname, 'build-service-function-bundle.ts');

/**
 * Runs `buildServiceFunctionBundle` in a child `node` (the one running synthesis: the repository's
 * Node 24), because CDK bundles synchronously and esbuild takes plugins only in its asynchronous
 * build. A class, not a closure: the asset cache keys on the bundling options' fields, so two
 * functions with different entries must not look alike.
 */
class ServiceFunctionBundler implements ILocalBundling {
  public readonly entry: string;
  /** Files written beside the bundle (name → content); part of the cache key, as fields. */
  public readonly files: Readonly<Record<string, string>>;

  public constructor(entry: string, files: Readonly<Record<string, string>>) {
    this.entry = entry;
    this.files = files;
  }

  public tryBundle(outputDir: string, _options: BundlingOptions): boolean {
    const result = spawnSync(process.execPath, [bundleScript, this.entry, outputDir], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    process.stderr.write(result.stderr);
    if (result.error !== undefined) throw new Error(`could not run the bundler for ${this.entry}`, { cause: result.error });
    if (result.status !== 0) throw new Error(`bundling ${this.entry} failed (exit ${String(result.status ?? result.signal)}):\n${result.stderr}`);
    for (const [name, content] of Object.entries(this.files)) writeFileSync(join(outputDir, name), content);
    // Never false: that would send CDK to Docker, which the project never bundles in.
    return true;
  }
}

/**
 * The code of a `ServiceFunction`: `entry` bundled by `buildServiceFunctionBundle`, hashed by its
 * output like NodejsFunction's assets. Stacks left out of `aws:cdk:bundling-stacks` skip the build.
 */
export function serviceFunctionCode(entry: string, files: Readonly<Record<string, string>> = {}): AssetCode {
  for (const name of Object.keys(files)) {
    // A plain name beside the bundle, which can neither replace it (index.mjs) or its source map nor leave the directory.
    if (basename(name) !== name || !/^[\w.-]+$/.test(name) || /\.m?js(\.map)?$/.test(name)) throw new Error(`a shipped file must be a plain name that is no script, not "${name}"`);
  }
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('local-bundling-only'),
      local: new ServiceFunctionBundler(entry, files),
    },
  });
}

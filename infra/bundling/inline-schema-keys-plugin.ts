import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { inlineSchemaKeys } from './inline-schema-keys.ts';
import type { InlineSchemaKeysOptions } from './inline-schema-keys.ts';

/** The generated schema modules of the AWS SDK clients (and of the clients the SDK nests for credentials). */
export const sdkSchemaModule = /[\\/]@aws-sdk[\\/](?:client-[^\\/]+|nested-clients)[\\/].*[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * esbuild plugin: loads every SDK schema module with its computed keys inlined (`inlineSchemaKeys`),
 * so that esbuild can drop the schemas a bundle never uses; a rewrite that would change the module's
 * meaning fails the build.
 */
export function inlineSchemaKeysPlugin(options: InlineSchemaKeysOptions = {}): Plugin {
  return {
    name: 'inline-schema-keys',
    setup(build) {
      build.onLoad({ filter: sdkSchemaModule }, async ({ path }) => {
        const { contents } = await inlineSchemaKeys(await readFile(path, 'utf8'), path, options);
        return { contents, loader: 'js' };
      });
    },
  };
}

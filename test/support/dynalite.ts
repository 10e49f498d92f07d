import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';

/** Starts dynalite before the calling file's tests and closes it after them; read `endpoint` inside a test. */
export function useDynalite(): { readonly endpoint: string } {
  let dynalite: EmbeddedDynamoDb | undefined;
  beforeAll(async () => {
    dynalite = await startEmbeddedDynamoDb();
  });
  afterAll(async () => {
    await dynalite?.close();
  });
  return {
    get endpoint(): string {
      if (dynalite === undefined) throw new Error('dynalite is started in beforeAll: read its endpoint inside a test');
      return dynalite.endpoint;
    },
  };
}

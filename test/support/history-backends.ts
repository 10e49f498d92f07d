/**
 * What the history repository tests share: dynalite for the file, the two DynamoDB APIs they run on
 * (dynalite in-process, moto_server), and reading every page of a listing.
 */
import { expect, inject } from 'vitest';
import type { Category } from '#shared/catalogue/types.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryQuery } from '#shared/history/query.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { useDynalite } from './dynalite.ts';

/**
 * dynalite for the calling file, and the DynamoDB APIs every repository behaviour is checked on
 * (dynalite in-process, moto_server); endpoints are read when a test runs.
 */
export function useHistoryBackends(): {
  dynalite: { readonly endpoint: string };
  backends: readonly { name: string; endpoint: () => string }[];
} {
  const dynalite = useDynalite();
  const backends = [
    { name: 'dynalite (in-process)', endpoint: () => dynalite.endpoint },
    { name: 'moto_server', endpoint: () => inject('motoEndpoint') },
  ];
  return { dynalite, backends };
}

export const both: readonly Category[] = ['containment', 'data-gathering'];

/** Every page of a listing, following cursors to the end (a runaway cursor fails the test). */
export async function everyPage(repository: HistoryRepository, query: HistoryQuery, categories = both): Promise<ActionRecord[][]> {
  const pages: ActionRecord[][] = [];
  let cursor: string | undefined;
  do {
    const page = await repository.list({ ...query, ...(cursor === undefined ? {} : { cursor }) }, categories);
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    expect(pages.length).toBeLessThan(1000);
  } while (cursor !== undefined);
  return pages;
}

export const ids = (records: readonly ActionRecord[]): string[] => records.map((record) => record.id);
export const newestFirst = (records: readonly ActionRecord[]): string[] =>
  ids([...records].sort((a, b) => `${b.createdAt}#${b.id}`.localeCompare(`${a.createdAt}#${a.id}`)));

import { useState } from 'react';

export interface CursorPages {
  /** The cursor of the page shown (null: the first page). */
  readonly cursor: string | null;
  /** Props for Cloudscape's Pagination, given the shown page's `nextCursor`: the pages seen, and the next when there is one. */
  readonly pagination: (nextCursor: string | null | undefined) => {
    readonly currentPageIndex: number;
    readonly pagesCount: number;
    readonly onChange: (event: { readonly detail: { readonly currentPageIndex: number } }) => void;
  };
}

interface Seen {
  readonly key: string;
  /** The cursor of each page seen so far (the first page has none); cursors are opaque. */
  readonly cursors: readonly (string | null)[];
  readonly index: number;
}

/**
 * Paging through a list the service answers a cursor at a time (`nextCursor`), for every list page
 * of the console: the cursors of the pages seen are kept, so going back needs none. A new
 * `filterKey` (other filters) starts again at the first page, since a cursor belongs to the query
 * that gave it.
 */
export function useCursorPages(filterKey: string): CursorPages {
  const [seen, setSeen] = useState<Seen>({ key: filterKey, cursors: [null], index: 0 });
  // Pages seen under other filters are ignored here; the next page change replaces them.
  const { cursors, index } = seen.key === filterKey ? seen : { cursors: [null], index: 0 };
  return {
    cursor: cursors[index] ?? null,
    pagination: (nextCursor) => {
      const more = nextCursor !== null && nextCursor !== undefined && index === cursors.length - 1;
      return {
        currentPageIndex: index + 1,
        pagesCount: cursors.length + (more ? 1 : 0),
        onChange: ({ detail }) => {
          const wanted = detail.currentPageIndex - 1;
          if (wanted === cursors.length) {
            if (more) setSeen({ key: filterKey, cursors: [...cursors, nextCursor], index: wanted });
            return;
          }
          if (wanted >= 0 && wanted < cursors.length) setSeen({ key: filterKey, cursors, index: wanted });
        },
      };
    },
  };
}

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

/**
 * Paging through a list the service answers a cursor at a time (`nextCursor`): the cursors of the
 * pages seen are kept, so going back needs none. A new `filterKey` (other filters) starts again
 * at the first page, since a cursor belongs to the query that gave it.
 */
export function useCursorPages(filterKey: string): CursorPages {
  const [state, setState] = useState<{ readonly key: string; readonly cursors: readonly (string | null)[]; readonly index: number }>({ key: filterKey, cursors: [null], index: 0 });
  let current = state;
  if (state.key !== filterKey) {
    current = { key: filterKey, cursors: [null], index: 0 };
    setState(current);
  }
  const { cursors, index } = current;
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
            if (!more) return;
            setState({ key: filterKey, cursors: [...cursors, nextCursor], index: wanted });
            return;
          }
          if (wanted >= 0 && wanted < cursors.length) setState({ key: filterKey, cursors, index: wanted });
        },
      };
    },
  };
}

import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ApiClient, Query } from './client.ts';

export const ApiContext = createContext<ApiClient | null>(null);

/** The API client of the signed-in person. */
export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi outside a signed-in page');
  return api;
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Fetches again now. */
  readonly reload: () => void;
}

export interface LoadOptions<T> {
  /** Fetch again every this many milliseconds (at least 5000: API.md's console refreshes at most every 5 s)... */
  readonly refreshMs?: number;
  /** ...until this says the data is final (a terminal status). */
  readonly until?: (data: T) => boolean;
}

/**
 * GETs `path` (null: nothing yet) and keeps the answer; with `refreshMs`, polls until `until` holds,
 * stopping when the page goes away. A failed refresh keeps the last data and shows the error.
 */
export function useApiGet<T>(path: string | null, query?: Query, options: LoadOptions<T> = {}): Loaded<T> {
  const api = useApi();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const queryKey = JSON.stringify(query ?? {});
  const untilRef = useRef(options.until);
  untilRef.current = options.until;
  const refreshMs = options.refreshMs === undefined ? undefined : Math.max(5000, options.refreshMs);

  useEffect(() => {
    if (path === null) return undefined;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (first: boolean): Promise<void> => {
      if (first) setLoading(true);
      try {
        const value = await api.get<T>(path, JSON.parse(queryKey) as Query);
        if (cancelled) return;
        setData(value);
        setError(undefined);
        const done = untilRef.current?.(value) ?? false;
        if (refreshMs !== undefined && !done) timer = setTimeout(() => void load(false), refreshMs);
      } catch (failure) {
        if (cancelled) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        if (refreshMs !== undefined) timer = setTimeout(() => void load(false), refreshMs);
      } finally {
        if (!cancelled && first) setLoading(false);
      }
    };
    void load(true);
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, path, queryKey, refreshMs, generation]);

  const reload = useCallback(() => {
    setGeneration((value) => value + 1);
  }, []);
  return { data, error, loading, reload };
}

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
  // Each answer is kept with the address it answers: moving to another record (the same page,
  // another id) never shows the previous record under the new address, not even for one render.
  const [loaded, setLoaded] = useState<{ readonly key: string; readonly data: T } | undefined>(undefined);
  const [failed, setFailed] = useState<{ readonly key: string; readonly error: Error } | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const queryKey = JSON.stringify(query ?? {});
  const key = `${path ?? ''}?${queryKey}`;
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
        setLoaded({ key: `${path}?${queryKey}`, data: value });
        setFailed(undefined);
        const done = untilRef.current?.(value) ?? false;
        if (refreshMs !== undefined && !done) timer = setTimeout(() => void load(false), refreshMs);
      } catch (failure) {
        if (cancelled) return;
        setFailed({ key: `${path}?${queryKey}`, error: failure instanceof Error ? failure : new Error(String(failure)) });
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
  const data = loaded?.key === key ? loaded.data : undefined;
  const error = failed?.key === key ? failed.error : undefined;
  return { data, error, loading: loading || (path !== null && data === undefined && error === undefined), reload };
}

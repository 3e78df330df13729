// Data loading for the screens: the answer, the failure, and a way to load again or patch what is shown.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Query<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/** Runs `load` when the keys change; a stale answer (keys changed meanwhile) is dropped. */
export function useQuery<T>(load: () => Promise<T>, keys: unknown[]): Query<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((current) => ({ ...current, loading: true }));
    try {
      const data = await loader.current();
      if (mine === generation.current) setState({ data, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((current) => ({ ...current, error, loading: false }));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, keys);
  const setData = useCallback((update: (current: T | undefined) => T | undefined) => {
    setState((current) => ({ ...current, data: update(current.data) }));
  }, []);
  return { data: state.data, error: state.error, loading: state.loading, reload, setData };
}

/** A value kept in this browser (saved views, the last pipeline): JSON in localStorage. */
export function useStored<T>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => readStored(key, initial));
  const save = useCallback(
    (next: T) => {
      setValue(next);
      try {
        localStorage.setItem(key, JSON.stringify(next));
      } catch {
        // Storage may be off (private modes): the value still holds for this visit.
      }
    },
    [key],
  );
  return [value, save];
}

export function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

import type { FlagValue } from '@flagline/core';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { FlaglineClient } from './client';

interface FlagState {
  /** The boolean flags' values. */
  flags: Record<string, boolean>;
  /** Every flag's value, whatever its type. */
  values: Record<string, FlagValue>;
  loading: boolean;
  error: Error | undefined;
}

/** The flags of the nearest FlaglineReactProvider (exported for tests and custom hooks; most code wants useFlag). */
export const FlaglineContext = createContext<FlagState>({ flags: {}, values: {}, loading: true, error: undefined });

/** Attributes of the evaluation context besides the user id (its targeting key), e.g. `{ plan: 'pro' }`. */
export type FlagAttributes = Readonly<Record<string, unknown>>;

export interface FlaglineReactProviderProps {
  /** Flagline's base URL. */
  url: string;
  /** A client token for the environment. */
  token: string;
  /** The signed-in user: flags are evaluated for them by the server. */
  userId?: string;
  /** More of the evaluation context, for flags with targeting rules (compared by value, not identity). */
  attributes?: FlagAttributes;
  children?: ReactNode;
  fetch?: typeof fetch;
}

/**
 * Evaluates every flag for the user and the attributes (OFREP bulk evaluation, the server's engine) and re-evaluates
 * whenever the live stream reports a change, so components update without a reload. As in the origin, a flag reads
 * false (useFlagValue: its default) until it has loaded.
 * (Not to be confused with the OpenFeature provider, `@flagline/sdk/openfeature`'s FlaglineProvider.)
 */
export function FlaglineReactProvider({
  url,
  token,
  userId,
  attributes,
  children,
  fetch: fetchImpl,
}: FlaglineReactProviderProps) {
  const [state, setState] = useState<FlagState>({ flags: {}, values: {}, loading: true, error: undefined });
  // A new object literal on every render must not re-evaluate: the effect depends on the attributes' JSON.
  const attributesJson = useMemo(() => JSON.stringify(attributes ?? {}), [attributes]);

  useEffect(() => {
    const client = new FlaglineClient({ url, token, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    const abort = new AbortController();
    const context = {
      ...(JSON.parse(attributesJson) as Record<string, unknown>),
      ...(userId ? { targetingKey: userId } : {}),
    };
    const load = async () => {
      try {
        const answer = await client.evaluateContext(context);
        const flags: Record<string, boolean> = {};
        const values: Record<string, FlagValue> = {};
        for (const result of answer.flags) {
          if (!('value' in result)) continue;
          values[result.key] = result.value as FlagValue;
          if (typeof result.value === 'boolean') flags[result.key] = result.value;
        }
        if (!abort.signal.aborted) setState({ flags, values, loading: false, error: undefined });
      } catch (error) {
        if (!abort.signal.aborted) {
          setState((previous) => ({
            ...previous,
            loading: false,
            error: error instanceof Error ? error : new Error(String(error)),
          }));
        }
      }
    };
    const follow = async () => {
      for await (const event of client.stream({ signal: abort.signal })) {
        // The snapshot on connect covers a change made between the first load and the stream connecting (and
        // whatever was missed while disconnected).
        if (event.type === 'change' || event.type === 'snapshot') await load();
      }
    };
    void load().then(follow);
    return () => abort.abort();
  }, [url, token, userId, attributesJson, fetchImpl]);

  return <FlaglineContext.Provider value={state}>{children}</FlaglineContext.Provider>;
}

/** @deprecated Renamed FlaglineReactProvider, so it is not confused with the OpenFeature provider of the same name. */
export const FlaglineProvider = FlaglineReactProvider;
/** @deprecated Renamed FlaglineReactProviderProps. */
export type FlaglineProviderProps = FlaglineReactProviderProps;

/** Whether the flag is on for the current user: false while loading, if unknown, or on error. */
export function useFlag(key: string): boolean {
  return useContext(FlaglineContext).flags[key] ?? false;
}

type Widen<T> = T extends boolean ? boolean : T extends string ? string : T extends number ? number : T;

/**
 * A flag's value for the current user and attributes, of the default's type: the default while loading, if the flag
 * is unknown, on error, or when the flag's value is of another type (a string flag read with a number default).
 */
export function useFlagValue<T extends FlagValue>(key: string, defaultValue: T): Widen<T> {
  const value = useContext(FlaglineContext).values[key];
  if (value === undefined || value === null) return defaultValue as Widen<T>;
  const sameType =
    typeof defaultValue === 'object' && defaultValue !== null
      ? typeof value === 'object' && Array.isArray(value) === Array.isArray(defaultValue)
      : typeof value === typeof defaultValue;
  return (sameType ? value : defaultValue) as Widen<T>;
}

/** Every flag plus loading and error state, for components that want to show them. */
export function useFlags(): FlagState {
  return useContext(FlaglineContext);
}

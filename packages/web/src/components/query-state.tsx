import type { ReactNode } from 'react';
import { ErrorMessage, Loading } from './ui';

/** The parts of a TanStack query result (plain or infinite) that decide what a section shows. */
interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  isError: boolean;
}

/**
 * One way to show a query: a spinner while it loads, the API's error while it fails, `empty` when there is nothing,
 * else `children` with the data.
 */
export function QueryState<T>({
  query,
  loading,
  errorTitle,
  renderError,
  isEmpty,
  empty,
  children,
}: {
  query: QueryLike<T>;
  /** What is loading, e.g. "Loading flags…". */
  loading: string;
  errorTitle: string;
  /** Replaces the default error message (a page that explains a 404 its own way). */
  renderError?: (error: unknown) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isError) {
    return <>{renderError ? renderError(query.error) : <ErrorMessage error={query.error} title={errorTitle} />}</>;
  }
  if (query.isPending || query.data === undefined) return <Loading label={loading} />;
  if (isEmpty?.(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

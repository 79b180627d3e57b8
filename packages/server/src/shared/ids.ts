const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id could be one the database generated (a uuid column). A path id of any other shape names nothing: it
 * is a 404, checked before the query, which PostgreSQL would otherwise reject as invalid input.
 */
export const isUuid = (value: string): boolean => UUID.test(value);

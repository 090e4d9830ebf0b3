/** A uuid as Postgres writes one (lower case), for a pattern in JavaScript or SQL. */
export const uuidPattern = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const uuidText = new RegExp(`^${uuidPattern}$`, 'i');

/**
 * Text Postgres reads as a uuid (any version, either case). A uuid column compared with anything
 * else fails the whole query (22P02), so text from outside is checked with this before it reaches one.
 */
export const isUuidText = (text: string | null | undefined): text is string => typeof text === 'string' && uuidText.test(text);

/**
 * A database the process cannot use at all (not there, not reachable, not ours to log into, an
 * embedded one another process holds): an operating error whose one-line message names the setting
 * and what is wrong, printed without a stack trace.
 */
export class DatabaseUnavailable extends Error {}

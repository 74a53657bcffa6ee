/**
 * A git object id as it may reach git: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits, nothing else.
 * A sha from a payload that is anything more ("--upload-pack=…") would be an option in git's argv.
 */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const isObjectId = (s: unknown): s is string => typeof s === "string" && OBJECT_ID.test(s);

import { randomBytes } from 'node:crypto';

/** A short random id with a readable prefix, e.g. `req_3fJx0aQk9w`, for logs and events. */
export function shortId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('base64url')}`;
}

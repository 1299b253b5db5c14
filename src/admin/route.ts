import type { AdminContext } from './context.js';

export interface Reply {
  readonly status: number;
  /** JSON unless a string or a Buffer (sent as is). */
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** `match` holds the still URL-encoded path segments captured by the route's pattern. */
export type Route = (ctx: AdminContext, match: RegExpMatchArray, url: URL, body: Buffer) => Promise<Reply> | Reply;
export type RouteEntry = readonly [method: string, pattern: RegExp, route: Route];

export const json = (body: unknown, status = 200): Reply => ({ status, body });
export const text = (body: string, contentType = 'text/plain'): Reply => ({ status: 200, body, contentType });
export const noContent = (): Reply => ({ status: 204, body: '' });

/** An admin failure with Pulsar's HTTP status; the server answers `{"reason": message}` (Pulsar's RestException). */
export class RestError extends Error {
  constructor(readonly status: number, reason: string) {
    super(reason);
    this.name = 'RestError';
  }
}

/** A captured path segment, decoded. Malformed escapes are a bad request. */
export function segment(match: RegExpMatchArray, index: number): string {
  try {
    return decodeURIComponent(match[index] ?? '');
  } catch {
    throw new RestError(400, `Invalid URL encoding in '${match[index]}'`);
  }
}

/**
 * The JSON request body, or undefined when empty and optional. Jersey rejects an empty required
 * entity and malformed JSON with 400; the content type is not checked (Pulsar answers 415 to
 * non-JSON types, which no tool sends).
 */
export function jsonBody(body: Buffer, required: boolean): unknown {
  const raw = body.toString('utf8').trim();
  if (raw.length === 0) {
    if (required) throw new RestError(400, 'The request entity cannot be empty.');
    return undefined;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new RestError(400, `Malformed JSON body: ${(error as Error).message}`);
  }
}

/** Query flags as JAX-RS reads a boolean @QueryParam: only "true" (any case) is true. */
export function queryFlag(url: URL, name: string): boolean {
  return url.searchParams.get(name)?.toLowerCase() === 'true';
}

const mutations = new WeakMap<AdminContext, Promise<unknown>>();

/**
 * Runs a route after the previous serialized route of the same broker finished: topic creation and
 * deletion check existence and then write, which must not interleave with another such request.
 */
export function serialized(route: Route): Route {
  return (ctx, match, url, body) => {
    const run = (mutations.get(ctx) ?? Promise.resolve()).then(() => route(ctx, match, url, body));
    mutations.set(ctx, run.catch(() => undefined));
    return run;
  };
}

import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@tickets/config';

/**
 * A small HTTP client for end-to-end tests against the running gateway (started by e2e-global-setup.js),
 * with tokens signed by the same secret the gateway verifies.
 */
const config = loadConfig();
export const GATEWAY_URL = `http://${config.BIND_HOST}:${config.GATEWAY_PORT}`;

/** A bearer token for `user` with `roles` and `groups` claims (HS256, `JWT_SECRET`). */
export function tokenFor(user: string, roles: readonly string[] = [], groups: readonly string[] = []): string {
  return new JwtService({ secret: config.jwtSecret }).sign({ sub: user, roles, groups }, { algorithm: 'HS256', expiresIn: 3600 });
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** Sends `method path` with an optional JSON body and bearer token; returns status and parsed JSON body. */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${GATEWAY_URL}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: body as T };
}

/** A space name unique to this test run, so runs never see each other's tickets. */
export function uniqueSpace(prefix = 'e2e'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Dmart request of one record. */
export function dmartRequest(
  space_name: string,
  request_type: string,
  record: { resource_type: string; shortname: string; subpath: string; attributes?: Record<string, unknown> },
) {
  return { space_name, request_type, records: [record] };
}

/**
 * Every failure the client reports: a refusal by the provider (with its HTTP
 * status and body), a room operation the policy or MLS refused, unreadable
 * local state, a provider that cannot be reached. The message is one line
 * meant for people; the CLI prints it as `error: <message>`.
 */
export class ClientError extends Error {
  override readonly name = "ClientError";
  /** the HTTP status, when the provider answered with an error */
  readonly status: number | undefined;

  constructor(message: string, options: { readonly status?: number; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/** What every room operation fails with when the device's provider has no room routes in its client API. */
export const ROOM_ENDPOINTS_UNAVAILABLE = "this provider does not offer the room endpoints";

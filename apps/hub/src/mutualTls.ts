import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { TLSSocket } from "node:tls";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";

/**
 * protocol-06 s.4.1: between providers, TLS is mutually authenticated, the
 * certificates authenticate the provider domains (RFC 6125), `Host` names
 * the target provider (its port ignored) and `From: mimi@<domain>` the source.
 *
 * The server asks every client for a certificate but accepts connections
 * without one (the client API needs none), so federation routes check here,
 * before their handler reads the body:
 *
 * | refusal | status |
 * |---|---|
 * | no client certificate | 401 |
 * | certificate not chaining to the configured CA, or not valid now | 401 |
 * | `Host` not this provider's domain | 421 Misdirected Request (RFC 9110 s.15.5.20) |
 * | `From` missing or not `mimi@<domain>` | 400 |
 * | certificate not naming the `From` domain | 403 |
 *
 * No HTTP authentication scheme stands for TLS client certificates, so the
 * 401s carry no WWW-Authenticate challenge; their body says what is missing.
 */
export function authenticatePeer(incoming: IncomingMessage, ourDomain: string): string {
  const socket = incoming.socket;
  if (!(socket instanceof TLSSocket)) {
    throw new HttpError(401, "federation endpoints require mutual TLS (protocol-06 s.4.1)");
  }
  const certificate = socket.getPeerCertificate();
  if (certificate === null || Object.keys(certificate).length === 0) {
    throw new HttpError(401, "no client certificate: federation endpoints require mutual TLS (protocol-06 s.4.1)");
  }
  if (!socket.authorized) {
    throw new HttpError(401, `client certificate not accepted: ${String(socket.authorizationError)}`);
  }
  const host = hostName(incoming.headers.host);
  if (host !== ourDomain) {
    throw new HttpError(421, `this server is ${ourDomain}; the Host header names ${host ?? "nothing"}`);
  }
  const peerDomain = fromDomain(incoming.headers.from);
  if (peerDomain === undefined) {
    throw new HttpError(400, "the From header must be mimi@<your provider's domain> (protocol-06 s.4.1)");
  }
  if (new X509Certificate(certificate.raw).checkHost(peerDomain, { subject: "never" }) === undefined) {
    throw new HttpError(403, `the client certificate does not name ${peerDomain}, the domain in From`);
  }
  return peerDomain;
}

/** The host of a Host header, lower case, without port or trailing dot. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const host = header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : header.replace(/:\d*$/, "");
  return host.toLowerCase().replace(/\.$/, "");
}

/** The domain of `From: mimi@<domain>` (an addr-spec whose local part is `mimi`), lower case. */
function fromDomain(header: string | undefined): string | undefined {
  const match = /^mimi@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/.exec(header?.trim() ?? "");
  return match?.[1]?.toLowerCase();
}

/** The middleware in front of every federation route: authenticates the peer and sets `peerDomain`. */
export function requirePeerProvider(ourDomain: string): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    c.set("peerDomain", authenticatePeer(c.env.incoming, ourDomain));
    await next();
  };
}

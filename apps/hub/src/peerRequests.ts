import type { MimiEndpoint } from "@mimi-ts/protocol";
import { HttpError } from "./httpErrors.js";
import { endpointPath, type PeerResponse } from "./peerClient.js";
import type { HubServices } from "./services.js";

/** The start of a peer's answer body, for an error message. */
export function answerDetail(answer: PeerResponse): string {
  return Buffer.from(answer.body).toString("utf8", 0, 200).trim();
}

/** A peer's answer this provider cannot pass on as it is: 502, saying what the peer said. */
export function unexpectedAnswer(peerDomain: string, answer: PeerResponse): HttpError {
  const detail = answerDetail(answer);
  return new HttpError(502, `${peerDomain} answered ${answer.status}${detail === "" ? "" : `: ${detail}`}`);
}

/**
 * POSTs a MIMI body to a peer's endpoint (protocol-06 s.5.1's standard
 * paths) on behalf of the request `requestId`, and resolves with whatever
 * HTTP answer comes. No route to the peer in the configuration, or no
 * answer (TLS, connection, timeout), is 502.
 */
export async function postToPeer(
  services: HubServices,
  peerDomain: string,
  endpoint: MimiEndpoint,
  value: string,
  body: Uint8Array,
  requestId: string,
): Promise<PeerResponse> {
  if (!services.peers.knows(peerDomain)) throw new HttpError(502, `this provider has no route to ${peerDomain}`);
  try {
    return await services.peers.post(peerDomain, endpointPath(endpoint, value), body, { requestId });
  } catch (error) {
    throw new HttpError(502, `${peerDomain} could not be reached: ${(error as Error).message}`);
  }
}

import { encode } from "@mimi-ts/codec";
import { type FanoutMessage, fanoutMessage } from "@mimi-ts/protocol";
import type { HubStore } from "./store.js";

/** The inbox event kind of one FanoutMessage; its payload is the message's encoding (protocol-06 s.5.5). */
export const FANOUT_EVENT = "fanout";

/** Where a FanoutMessage is delivered locally. */
export interface LocalDelivery {
  readonly roomId: string;
  readonly ourDomain: string;
  readonly now: number;
  /** a local device not to give the message: its sender (protocol-06 s.5.5) */
  readonly except?: string;
}

/**
 * The local devices a FanoutMessage goes to. A Welcome goes to the clients
 * whose KeyPackageRefs it names and that this provider handed out (the
 * routes recorded at /keyMaterial, protocol-06 s.5.2, s.5.5); they follow the
 * room from then on. Anything else goes to the room's followers.
 */
async function recipientsOf(tx: HubStore, delivery: LocalDelivery, message: FanoutMessage): Promise<string[]> {
  const mls = message.content.message;
  if (mls.wireformat !== "mls_welcome") return tx.roomFollowers(delivery.roomId);
  const recipients: string[] = [];
  for (const secret of mls.welcome.secrets) {
    const route = await tx.keyPackageRoute(secret.newMember);
    if (route === undefined || route.providerDomain !== delivery.ourDomain) continue;
    if (recipients.includes(route.clientUri)) continue;
    recipients.push(route.clientUri);
    await tx.addRoomFollower(delivery.roomId, route.clientUri, delivery.now);
  }
  return recipients;
}

/**
 * Appends one FanoutMessage to the inbox of each local device it is for
 * (through `tx`, the transaction of the change that causes it); returns
 * those devices, whose event streams are to be woken once it commits.
 */
export async function deliverLocally(tx: HubStore, delivery: LocalDelivery, message: FanoutMessage): Promise<string[]> {
  const payload = encode(fanoutMessage, message);
  const recipients = (await recipientsOf(tx, delivery, message)).filter((clientUri) => clientUri !== delivery.except);
  for (const clientUri of recipients) {
    await tx.appendInboxEvent(clientUri, {
      kind: FANOUT_EVENT,
      roomId: delivery.roomId,
      payload,
      createdAt: delivery.now,
    });
  }
  return recipients;
}

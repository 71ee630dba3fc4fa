import type { Clock } from "./clock.js";
import type { HubConfig } from "./config.js";
import type { DeliveryQueue } from "./deliveryQueue.js";
import type { HubIdentity } from "./hubIdentity.js";
import type { InboxNotifier } from "./inboxNotifier.js";
import type { Logger } from "./logger.js";
import type { PeerClient } from "./peerClient.js";
import type { HubStore } from "./store.js";

/** What the routes of a provider share; built by the server, passed to every route module. */
export interface HubServices {
  readonly config: HubConfig;
  readonly store: HubStore;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly peers: PeerClient;
  readonly queue: DeliveryQueue;
  readonly inbox: InboxNotifier;
  /** the provider's signing identity as the Hub of its rooms */
  readonly identity: HubIdentity;
  /** how often an idle event stream sends a keepalive comment */
  readonly keepaliveMs: number;
}

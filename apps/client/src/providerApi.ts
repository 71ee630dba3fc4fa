import type { KeyPackage } from "ts-mls";

/**
 * The provider-local client API (apps/hub README "Client API"): what a
 * device asks of its own provider, apart from the room endpoints
 * (RoomTransport). The SDK talks HTTPS (HttpsProviderApi); tests plug in
 * providers of their own.
 */
export interface ProviderApi {
  /** POST /client/v1/devices; `authorizingToken` is a token of another device of the user, needed once the user has one. */
  registerDevice(registration: DeviceRegistration, authorizingToken?: string): Promise<RegisteredDevice>;
  /** POST /client/v1/keypackages, as MLSMessages. */
  uploadKeyPackages(token: string, keyPackages: readonly KeyPackage[]): Promise<KeyPackageUpload>;
  /** GET /client/v1/events: the inbox after `cursor`, then live, until closed. */
  openEvents(token: string, cursor: number): EventStream;
}

export interface DeviceRegistration {
  readonly clientUri: string;
  readonly userUri: string;
}

export interface RegisteredDevice {
  /** the device's bearer token, shown this once */
  readonly token: string;
}

export interface KeyPackageUpload {
  readonly stored: number;
  readonly duplicates: number;
  /** hex, in upload order */
  readonly keyPackageRefs: readonly string[];
}

/** One event of the device's inbox. */
export interface InboxEvent {
  /** 1, 2, 3... per device; resuming after it skips it */
  readonly cursor: number;
  /** `fanout`: the payload is one FanoutMessage (protocol-06 s.5.5) */
  readonly kind: string;
  readonly roomId: string;
  /** when the provider received it, milliseconds since the epoch */
  readonly receivedAt: number;
  readonly payload: Uint8Array;
}

/** The inbox as it arrives; iteration ends when the provider ends the stream or `close` is called. */
export interface EventStream extends AsyncIterable<InboxEvent> {
  close(): void;
}

/** The event kind of a FanoutMessage. */
export const FANOUT_EVENT = "fanout";

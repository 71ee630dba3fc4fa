/** What a live subscriber of an inbox is told. */
export interface InboxSubscriber {
  /** events were appended to the inbox */
  appended(): void;
  /** the server is shutting down: end the stream */
  closed(): void;
}

/**
 * Live inbox subscriptions inside this process: event streams subscribe to
 * their device's inbox and are told, after the transaction that appended
 * events commits, to read the store again. The store stays the only source
 * of events; a notification carries none.
 */
export class InboxNotifier {
  private readonly subscribers = new Map<string, Set<InboxSubscriber>>();

  /** Subscribes to a device's inbox; returns the unsubscribe function. */
  subscribe(clientUri: string, subscriber: InboxSubscriber): () => void {
    let set = this.subscribers.get(clientUri);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(clientUri, set);
    }
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(clientUri) === set) this.subscribers.delete(clientUri);
    };
  }

  /** Tells the subscribers of these devices that their inboxes grew. */
  notify(clientUris: Iterable<string>): void {
    for (const clientUri of new Set(clientUris)) {
      for (const subscriber of this.subscribers.get(clientUri) ?? []) subscriber.appended();
    }
  }

  /** Tells every subscriber to end (graceful shutdown). */
  closeAll(): void {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.closed();
  }
}

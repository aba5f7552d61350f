/**
 * The unsubscribe function `bus.on` returns: call it, or let `using` call it.
 */

// Symbol.dispose exists from Node 20.4 on: package.json's engines asks for that version rather
// than this library defining a global for older ones.

/**
 * Removes the subscription `bus.on` made; returns whether it was still there. Also `Disposable`:
 * `using off = bus.on(...)` unsubscribes at the end of the block.
 *
 * @example
 * ```ts
 * {
 *   using _ = bus.on("task.*", (e) => console.log(e.eventType));
 *   await bus.emit(event); // delivered
 * }
 * await bus.emit(event);   // not delivered: the block's end unsubscribed
 * ```
 */
export interface Unsubscribe extends Disposable {
  (): boolean;
  /** The id `subscribe` would have returned ("" when an aborted signal subscribed nothing). */
  readonly subscriptionId: string;
}

export function unsubscriber(subscriptionId: string, unsubscribe: (id: string) => boolean): Unsubscribe {
  const off = (): boolean => unsubscribe(subscriptionId);
  return Object.assign(off, {
    subscriptionId,
    [Symbol.dispose]: (): void => {
      off();
    },
  });
}

/**
 * The ids of events received lately, each with the promise of its local dispatch, so that a
 * redelivery (JetStream after an ack timeout, or a second subscription) is recognised and acked
 * only once the first delivery has settled. Bounded: the oldest id is forgotten first.
 */
export class RecentIds {
  private readonly ids = new Map<string, Promise<void>>();

  constructor(private readonly capacity: number) {}

  /** The dispatch of `id` when it was seen lately, else undefined. */
  get(id: string): Promise<void> | undefined {
    return this.ids.get(id);
  }

  remember(id: string, dispatched: Promise<void>): void {
    if (this.capacity === 0) return;
    if (this.ids.size >= this.capacity) this.ids.delete(this.ids.keys().next().value!);
    this.ids.set(id, dispatched);
  }

  forget(id: string): void {
    this.ids.delete(id);
  }
}

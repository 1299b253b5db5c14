/**
 * Unacknowledged messages summed over a Shared or Key_Shared subscription's consumers, against
 * maxUnackedMessagesPerSubscription (Pulsar's PersistentDispatcherMultipleConsumers
 * blockedDispatcherOnUnackedMsgs): at the limit the subscription stops dispatching to every consumer,
 * and resumes once acknowledgements bring it down to half. 0 disables the limit.
 */
export class UnackedLimit {
  private total = 0;
  private blockedNow = false;

  constructor(readonly maxMessages: number) {}

  get unacked(): number {
    return this.total;
  }

  get blocked(): boolean {
    return this.blockedNow;
  }

  /** Adds `delta` (negative when messages are acknowledged or go back for redelivery). */
  add(delta: number): void {
    this.total = Math.max(0, this.total + delta);
    if (this.maxMessages <= 0) return;
    if (this.total >= this.maxMessages) this.blockedNow = true;
    else if (this.blockedNow && this.total <= this.maxMessages / 2) this.blockedNow = false;
  }
}

/** A minimal typed event emitter (no Node dependency, synchronous delivery). */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(e: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => this.off(event, fn);
  }

  /** Unsubscribes. */
  off<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): void {
    this.listeners.get(event)?.delete(fn as (e: never) => void);
  }

  /** Subscribes for one event. */
  once<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    const off = this.on(event, (e) => {
      off();
      fn(e);
    });
    return off;
  }

  /**
   * Calls every listener. A listener that throws cannot break the caller's state machine: the
   * error is re-thrown on a microtask (an uncaught exception, as with Node's EventEmitter, but
   * after the session finished its step).
   */
  protected emit<K extends keyof Events>(event: K, e: Events[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as (e: Events[K]) => void)(e);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

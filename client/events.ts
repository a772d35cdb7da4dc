/** A small typed event emitter (the SDK's clients expose their events through it). */

/** A listener of events of type `T`. */
export type Listener<T> = (event: T) => void

/** Emits events of the map `Events` (`{ name: payload }`). */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  /** Calls `listener` for every `type` event; returns the function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener as Listener<never>)
    return () => set.delete(listener as Listener<never>)
  }

  /** Whether anyone listens to `type` (so costly payloads are built only when needed). */
  has<K extends keyof Events>(type: K): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0
  }

  /** Calls the listeners of `type`; a throwing listener is reported and the others still run. */
  protected emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.listeners.get(type)
    if (!set) return
    // Set iteration tolerates a listener removing itself (as `next` does) without a copy.
    for (const listener of set) {
      try {
        ;(listener as Listener<Events[K]>)(event)
      } catch (error) {
        console.error(`listener of "${String(type)}" failed`, error)
      }
    }
  }
}

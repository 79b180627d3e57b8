/** A bounded map that forgets what was remembered longest ago. */
export class RecentlyUsed<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  has(key: K): boolean {
    return this.entries.has(key);
  }
  get(key: K): V | undefined {
    return this.entries.get(key);
  }
  remember(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

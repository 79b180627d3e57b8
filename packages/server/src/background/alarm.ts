/**
 * A sleep that a notification can cut short. A wake that arrives while the owner is busy (not sleeping) is kept, so
 * the next sleep returns at once and no notification is lost between a pass and the sleep after it.
 */
export class Alarm {
  private pending = false;
  private ring: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.ring?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (this.ring === finish) this.ring = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.ring = finish;
    });
  }
}

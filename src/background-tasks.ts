/**
 * Work a request starts and does not wait for, such as redrawing Slack cards after the response
 * has gone. The hub's stop waits for it before closing the store, so a restart for a deploy cuts
 * none of it off halfway (a card left showing the old dossier).
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();

  /** `task` must handle its own failure: nobody awaits it but the hub's stop. */
  track(task: Promise<void>): void {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  /** Resolves once nothing is running, including what was started while waiting. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

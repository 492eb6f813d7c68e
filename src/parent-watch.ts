/**
 * `npm start` does not pass a stop signal on: SIGTERM ends npm, and the hub would go on running
 * with init as its parent (measured with npm 11), holding the port and the store. Started by npm,
 * the hub therefore stops by itself once the process that started it is gone. Checked every
 * second; the timer never keeps the process alive.
 */
export function stopWhenOrphaned(stop: (reason: string) => void, intervalMs = 1_000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent process gone');
  }, intervalMs);
  timer.unref();
}

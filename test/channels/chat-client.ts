/** A server-sent event stream read with fetch, as a browser's EventSource would, for chat tests and the bench. */
export interface SseStream {
  events: { id: number; data: any; receivedAt: number }[];
  /** Resolves once `count` events have arrived in all (fails after `ms`). */
  waitFor(count: number, ms?: number): Promise<{ id: number; data: any; receivedAt: number }[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}: ${await response.text()}`);
  const events: { id: number; data: any; receivedAt: number }[] = [];
  const waiters: (() => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id !== undefined && data !== undefined) events.push({ id: Number(id), data: JSON.parse(data), receivedAt: Date.now() });
        }
        for (const wake of waiters.splice(0)) wake();
      }
    } catch {
      // closed by the test
    }
  })();
  return {
    events,
    async waitFor(count, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.data.text))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return events;
    },
    close: () => abort.abort(),
  };
}

/** One Server-Sent Event as received: `event:` name, `id:`, parsed JSON `data:`, arrival time (ms). */
export interface SseEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: Record<string, unknown>;
  readonly at: number;
}

/**
 * Test support: opens a Server-Sent Events stream with `fetch` and collects its events as they arrive;
 * `next(predicate)` waits (bounded) for a matching one, `close()` aborts the request.
 */
export async function openSseStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const reading = (async () => {
    if (!response.ok || !response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            const name = line.slice(0, colon);
            fields[name] = (fields[name] ? `${fields[name]}\n` : '') + line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.data !== undefined) events.push({ event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data), at: Date.now() });
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    events,
    async next(predicate: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      abort.abort();
      await reading;
    },
  };
}

// Group commit for a hot write path: calls made while a write is in flight wait for it and are
// then written together, in one statement and one commit. An idle path writes at once, so a
// lone call waits for nothing; a burst of N concurrent calls costs a handful of round trips
// instead of N. Each caller is answered only after the write that holds its item committed.

export type GroupedWrite<T, R> = (item: T) => Promise<R>;

/** `write` answers one result per item, in the items' order. */
export function grouped<T, R>(write: (items: T[]) => Promise<R[]>, maxItems = 500): GroupedWrite<T, R> {
  const waiting: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  let writing = false;
  async function writeWaiting() {
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxItems);
        try {
          const results = await write(batch.map((entry) => entry.item));
          batch.forEach((entry, i) => entry.resolve(results[i]!));
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void writeWaiting();
    });
}

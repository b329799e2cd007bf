// A reply's body as the tests read it: parsed when it is JSON (problem+json too), the text
// otherwise (a PDF, a CSV), undefined when empty.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function replyBody(response: { body: string; headers: Record<string, unknown> }): any {
  if (!response.body) return undefined;
  return String(response.headers['content-type'] ?? '').includes('json') ? JSON.parse(response.body) : response.body;
}

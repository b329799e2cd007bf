// GET /v1/entitlements/stream (SPEC 10 and 11): server-sent events telling a product's
// processes which accounts' entitlements changed, so their in-memory caches (@kassa/client)
// drop them within a second of the change. Events:
//   ready       on connecting fresh: its id is where a reconnect resumes
//   invalidate  {"account_ids": [...]}: drop these accounts' answers (the changes of one tick)
//   reset       {}: drop everything (resuming was not possible, or every account changed)
// A reconnect sends Last-Event-ID (EventSource does) and gets what it missed (./changes.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kassa } from '../context.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses } from '../shared/problem.js';
import type { Change } from './changes.js';

const HEARTBEAT_MS = 15_000;
/** What a client waits before reconnecting after a lost connection. */
const RETRY_MS = 1_000;
/** Account ids per `invalidate` event. */
const IDS_PER_EVENT = 1_000;

const frame = (event: string, id: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function follow(kassa: Kassa, request: FastifyRequest, reply: FastifyReply, open: Set<() => void>) {
  const changes = kassa.entitlements.changes;
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  out.write(`retry: ${RETRY_MS}\n\n`);

  const resumeFrom = request.headers['last-event-id'];
  const caught = typeof resumeFrom === 'string' && resumeFrom !== '' ? changes.since(resumeFrom) : undefined;
  const now = changes.idOf();
  if (caught === undefined) out.write(frame('ready', now, {}));
  else if (caught === 'reset') out.write(frame('reset', now, {}));
  else {
    for (let i = 0; i < caught.accountIds.length; i += IDS_PER_EVENT) out.write(frame('invalidate', now, { account_ids: caught.accountIds.slice(i, i + IDS_PER_EVENT) }));
    // Resumed: `ready` last, so the client knows it is caught up.
    out.write(frame('ready', now, {}));
  }

  // The changes of one tick go out together.
  let pending = new Set<number>();
  let all = false;
  let lastSeq = changes.lastSeq;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const id = changes.idOf(lastSeq);
    if (all) out.write(frame('reset', id, {}));
    else {
      const ids = [...pending];
      for (let i = 0; i < ids.length; i += IDS_PER_EVENT) out.write(frame('invalidate', id, { account_ids: ids.slice(i, i + IDS_PER_EVENT) }));
    }
    pending = new Set();
    all = false;
  };
  const unsubscribe = changes.subscribe((seq: number, change: Change) => {
    lastSeq = seq;
    if (change === 'all') all = true;
    else pending.add(change);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const end = () => {
    clearInterval(heartbeat);
    unsubscribe();
    open.delete(end);
    if (!out.writableEnded) out.end();
  };
  open.add(end);
  request.raw.on('close', end);
}

export async function entitlementStreamRoutes(app: KassaApp) {
  const open = new Set<() => void>();
  // A stream never ends by itself: close them, or the server would wait for them.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });
  app.get(
    '/entitlements/stream',
    {
      // Staff only (provider API keys): it names every account whose entitlements change.
      logLevel: 'warn',
      schema: {
        tags: ['entitlements'],
        summary: 'Server-sent events: which accounts\' entitlements changed (staff)',
        description:
          'text/event-stream. `invalidate` events carry `{"account_ids": [...]}`: drop those accounts\' cached answers. `reset`: drop all. ' +
          '`ready`: connected (and, when resuming, caught up). Reconnect with the Last-Event-ID header to get what was missed; when that is ' +
          'not possible (too long away, or another Kassa process) the answer is `reset`. @kassa/client follows it for its entitlement cache.',
        response: {
          200: {
            description: 'an endless text/event-stream',
            content: {
              'text/event-stream': {
                schema: { type: 'string', description: 'events as the text/event-stream format writes them' },
                example: 'retry: 1000\n\nid: k3J9xq.41\nevent: ready\ndata: {}\n\nid: k3J9xq.42\nevent: invalidate\ndata: {"account_ids":[42]}\n\n',
              },
            },
          },
          ...problemResponses(403),
        },
      },
    },
    async (request, reply) => follow(app.kassa, request, reply, open),
  );
}

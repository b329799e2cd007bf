// Every event a test file wrote, checked against the event catalogue as a receiver would see it
// (src/webhooks/catalogue.ts): the catalogue is a promise to receivers, so a payload that
// drifts from it fails the suite that wrote it.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { sql } from 'drizzle-orm';
import { type Db, query } from '../../src/db/client.js';
import type { OutboxTopic } from '../../src/outbox/write.js';
import { EVENT_CATALOGUE } from '../../src/webhooks/catalogue.js';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
// Compiled when a topic is first met: most files write a few of the 43.
const validators = new Map<string, ValidateFunction>();

/** What is wrong with an event's delivered `data`, or null. */
export function eventDataProblem(topic: string, data: Record<string, unknown>): string | null {
  const entry = Object.hasOwn(EVENT_CATALOGUE, topic) ? EVENT_CATALOGUE[topic as OutboxTopic] : undefined;
  if (!entry) return `${topic} is not in the event catalogue`;
  let validate = validators.get(topic);
  if (!validate) validators.set(topic, (validate = ajv.compile(entry.data)));
  if (validate(data)) return null;
  return ajv.errorsText(validate.errors);
}

/** Fails with the first events (at most five) that do not match their schema. */
export async function checkOutboxAgainstCatalogue(db: Db): Promise<void> {
  const rows = await query<{ id: string | number; topic: string; account_id: string | number | null; payload: Record<string, unknown> }>(db, sql`select id, topic, account_id, payload from outbox order by id`);
  const problems: string[] = [];
  for (const row of rows) {
    const data = { ...row.payload, account_id: row.account_id === null ? null : Number(row.account_id) };
    const problem = eventDataProblem(row.topic, data);
    if (problem) problems.push(`outbox ${row.id} ${row.topic}: ${problem}\n  ${JSON.stringify(data)}`);
  }
  if (problems.length > 0) throw new Error(`${problems.length} event(s) do not match the event catalogue:\n${problems.slice(0, 5).join('\n')}`);
}

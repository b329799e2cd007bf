// The client package's types (packages/client/src/openapi.ts), generated from the /openapi.json
// an embedded Kassa serves, with openapi-typescript. `npx tsx scripts/client-types.ts` writes
// them; test/client.test.ts fails while the committed file differs from what this generates.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildApp } from '../src/app.js';
import { defaultBillingSettings } from '../src/config.js';
import { openKassa } from '../src/kassa.js';

export const CLIENT_TYPES = new URL('../packages/client/src/openapi.ts', import.meta.url);

const HEADER = `// Generated from Kassa's /openapi.json by scripts/client-types.ts (openapi-typescript): do not edit.
/* eslint-disable */
`;

/** The client's types for an OpenAPI document. */
export async function clientTypesOf(document: object): Promise<string> {
  return HEADER + astToString(await openapiTS(document as never, { exportType: false }));
}

/** The types of the API as this code serves it. */
export async function generateClientTypes(): Promise<string> {
  const { kassa, database } = await openKassa({ dataDir: 'memory://', poolSize: 1, clock: 'simulated', billing: defaultBillingSettings });
  try {
    const app = await buildApp(kassa);
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<object>();
    await app.close();
    return await clientTypesOf(document);
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(CLIENT_TYPES, await generateClientTypes());
  console.log(`wrote ${CLIENT_TYPES.pathname}`);
}

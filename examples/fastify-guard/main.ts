// `KASSA_URL=http://localhost:3000 KASSA_API_KEY=kassa_sk_... KASSA_WEBHOOK_SECRET=whsec_... npx tsx examples/fastify-guard/main.ts`
// then `curl -H 'x-account-id: 1' localhost:4000/reports`.
import { buildProduct } from './app.js';

const need = (name: string) => process.env[name] ?? (console.error(`set ${name}`), process.exit(2));
const { app } = await buildProduct({ kassaUrl: need('KASSA_URL'), apiKey: need('KASSA_API_KEY'), webhookSecret: need('KASSA_WEBHOOK_SECRET') });
const url = await app.listen({ port: Number(process.env.PORT ?? 4000), host: '127.0.0.1' });
console.log(`the product answers on ${url}/reports`);

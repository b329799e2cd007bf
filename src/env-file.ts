// The binaries (`npm start`, `npx kassa`) read ./.env when there is one (.env.example lists
// every setting); a variable already set in the environment wins over the file.
import { existsSync } from 'node:fs';

export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

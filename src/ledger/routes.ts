import type { KassaApp } from '../app.js';

export async function ledgerRoutes(_app: KassaApp) {}

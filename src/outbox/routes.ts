import type { KassaApp } from '../app.js';

export async function outboxRoutes(_app: KassaApp) {}

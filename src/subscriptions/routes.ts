import type { KassaApp } from '../app.js';

export async function subscriptionRoutes(_app: KassaApp) {}

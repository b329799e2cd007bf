import type { KassaApp } from '../app.js';

export async function billingRoutes(_app: KassaApp) {}

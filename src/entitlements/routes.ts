import type { KassaApp } from '../app.js';

export async function entitlementRoutes(_app: KassaApp) {}

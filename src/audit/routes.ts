import type { KassaApp } from '../app.js';

export async function auditRoutes(_app: KassaApp) {}

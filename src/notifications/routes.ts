import type { KassaApp } from '../app.js';

export async function mailRoutes(_app: KassaApp) {}

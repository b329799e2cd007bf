import type { KassaApp } from '../app.js';

export async function accountRoutes(_app: KassaApp) {}

import type { KassaApp } from '../app.js';

export async function catalogRoutes(_app: KassaApp) {}

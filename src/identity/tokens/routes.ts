import type { KassaApp } from '../../app.js';

export async function tokenRoutes(_app: KassaApp) {}

import type { KassaApp } from '../app.js';

export async function identityRoutes(_app: KassaApp) {}

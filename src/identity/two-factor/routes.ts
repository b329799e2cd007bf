import type { KassaApp } from '../../app.js';

export async function twoFactorRoutes(_app: KassaApp) {}

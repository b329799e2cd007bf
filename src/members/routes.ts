import type { KassaApp } from '../app.js';

export async function memberRoutes(_app: KassaApp) {}

import type { KassaApp } from '../app.js';

export async function clockRoutes(_app: KassaApp) {}

// @kassa/client: a typed client for Kassa's API, webhook verification, and entitlement checks
// from the product's own memory. See the README's "Client" section.
export { type KassaClient, type KassaClientOptions, createKassaClient } from './client.js';
export { type Entitlements, type EntitlementCacheOptions, type FeatureAnswer, EntitlementCache } from './entitlements.js';
export { type KassaEvent, type KassaEventOf, type KassaEventType, WebhookVerificationError, verifyWebhook } from './webhooks.js';
export type { components, paths, webhooks } from './openapi.js';

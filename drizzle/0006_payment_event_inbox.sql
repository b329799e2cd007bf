ALTER TABLE "payment_events" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "payment_events" ADD COLUMN "processed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_events" ADD COLUMN "outcome" text;--> statement-breakpoint
-- Events received before this migration were acted on when they arrived.
UPDATE "payment_events" SET "processed_at" = "received_at", "outcome" = 'acted on at arrival';--> statement-breakpoint
CREATE INDEX "payment_events_unprocessed_idx" ON "payment_events" USING btree ("received_at") WHERE "payment_events"."processed_at" is null;
ALTER TABLE "subscriptions" ADD COLUMN "paid_mark" jsonb;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "paid_mark_from" timestamp with time zone;
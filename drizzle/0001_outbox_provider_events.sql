ALTER TABLE "outbox" ALTER COLUMN "account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "delivered_at";
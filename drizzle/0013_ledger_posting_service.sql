ALTER TABLE "ledger_postings" ADD COLUMN "service" text;--> statement-breakpoint
CREATE INDEX "ledger_transactions_created_brin" ON "ledger_transactions" USING brin ("created_at");
CREATE TABLE "credit_grants" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "credit_grants_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"cost_basis" bigint NOT NULL,
	"priority" integer NOT NULL,
	"scope" text[],
	"effective_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"paid_at" timestamp with time zone,
	"expiry_notice_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credit_grants_amount_positive" CHECK ("credit_grants"."amount" > 0),
	CONSTRAINT "credit_grants_cost_basis" CHECK ("credit_grants"."cost_basis" >= 0 and "credit_grants"."cost_basis" <= "credit_grants"."amount" and ("credit_grants"."kind" = 'paid' or "credit_grants"."cost_basis" = 0)),
	CONSTRAINT "credit_grants_kind" CHECK ("credit_grants"."kind" in ('promotional', 'paid')),
	CONSTRAINT "credit_grants_status" CHECK ("credit_grants"."status" in ('awaiting_payment', 'scheduled', 'active', 'voided', 'expired')),
	CONSTRAINT "credit_grants_expiry_after_start" CHECK ("credit_grants"."expires_at" is null or "credit_grants"."expires_at" > "credit_grants"."effective_at")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "granted" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD COLUMN "grant_id" bigint;--> statement-breakpoint
CREATE INDEX "credit_grants_account_idx" ON "credit_grants" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "credit_grants_due_idx" ON "credit_grants" USING btree ("effective_at") WHERE "credit_grants"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "credit_grants_expiring_idx" ON "credit_grants" USING btree ("expires_at") WHERE "credit_grants"."status" = 'active' and "credit_grants"."expires_at" is not null;--> statement-breakpoint
CREATE INDEX "ledger_postings_grant_idx" ON "ledger_postings" USING btree ("grant_id") WHERE "ledger_postings"."grant_id" is not null;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_granted_nonnegative" CHECK ("accounts"."granted" >= 0);--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_grant_account" CHECK (("ledger_postings"."ledger_account" = 'grant') = ("ledger_postings"."grant_id" is not null));
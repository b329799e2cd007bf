CREATE TABLE "top_up_receipts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "top_up_receipts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"top_up_id" bigint NOT NULL,
	"transaction_id" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"external_ref" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "top_up_receipts_amount_positive" CHECK ("top_up_receipts"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "top_ups" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "top_ups_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"currency" text NOT NULL,
	"amount_requested" bigint NOT NULL,
	"amount_received" bigint DEFAULT 0 NOT NULL,
	"amount_refunded" bigint DEFAULT 0 NOT NULL,
	"reference" text,
	"provider_ref" text,
	"expires_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "top_ups_amounts" CHECK ("top_ups"."amount_requested" > 0 and "top_ups"."amount_received" >= 0 and "top_ups"."amount_refunded" >= 0 and "top_ups"."amount_refunded" <= "top_ups"."amount_received")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "top_up_receipts_external_uq" ON "top_up_receipts" USING btree ("account_id","top_up_id","external_ref");--> statement-breakpoint
CREATE INDEX "top_ups_account_idx" ON "top_ups" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "top_ups_reference_uq" ON "top_ups" USING btree ("reference","account_id") WHERE "top_ups"."reference" is not null;--> statement-breakpoint
CREATE INDEX "top_ups_pending_idx" ON "top_ups" USING btree ("status","id") WHERE "top_ups"."status" = 'pending';
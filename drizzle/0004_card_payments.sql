CREATE TABLE "payment_customers" (
	"account_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"customer_ref" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_customers_account_id_provider_pk" PRIMARY KEY("account_id","provider")
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"top_up_id" bigint,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_events_provider_event_id_pk" PRIMARY KEY("provider","event_id")
);
--> statement-breakpoint
CREATE TABLE "payment_methods" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_methods_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"provider_ref" text NOT NULL,
	"brand" text NOT NULL,
	"last4" text NOT NULL,
	"exp_month" smallint NOT NULL,
	"exp_year" smallint NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "top_up_refunds" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "top_up_refunds_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"top_up_id" bigint NOT NULL,
	"transaction_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"external_ref" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "top_up_refunds_amount_positive" CHECK ("top_up_refunds"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "top_ups" ADD COLUMN "payment_ref" text;--> statement-breakpoint
ALTER TABLE "top_ups" ADD COLUMN "redirect_url" text;--> statement-breakpoint
ALTER TABLE "top_ups" ADD COLUMN "save_card" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_methods_provider_ref_uq" ON "payment_methods" USING btree ("account_id","provider","provider_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_methods_default_uq" ON "payment_methods" USING btree ("account_id") WHERE "payment_methods"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "top_up_refunds_external_uq" ON "top_up_refunds" USING btree ("account_id","top_up_id","external_ref");--> statement-breakpoint
CREATE INDEX "top_ups_payment_ref_idx" ON "top_ups" USING btree ("payment_ref") WHERE "top_ups"."payment_ref" is not null;
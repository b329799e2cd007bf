CREATE TABLE "usage_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "usage_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"received_at" timestamp with time zone NOT NULL,
	"events" integer NOT NULL,
	"rated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"account_id" bigint NOT NULL,
	"event_id" text NOT NULL,
	"meter" text NOT NULL,
	"quantity" numeric(24, 6) NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"batch_id" bigint NOT NULL,
	"reservation_id" bigint,
	CONSTRAINT "usage_events_account_id_event_id_pk" PRIMARY KEY("account_id","event_id"),
	CONSTRAINT "usage_events_quantity_nonnegative" CHECK ("usage_events"."quantity" >= 0)
);
--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "meter_aggregation" text;--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "meter_decimals" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_batches_unrated_idx" ON "usage_batches" USING btree ("id") WHERE "usage_batches"."rated_at" is null;--> statement-breakpoint
CREATE INDEX "usage_events_batch_idx" ON "usage_events" USING btree ("batch_id");--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_meter_aggregation" CHECK ("services"."meter_aggregation" is null or "services"."meter_aggregation" in ('sum', 'hourly_max'));--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_meter_decimals" CHECK ("services"."meter_decimals" between 0 and 6);
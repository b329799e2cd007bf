CREATE TABLE "auto_top_ups" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"enabled" boolean NOT NULL,
	"threshold" bigint NOT NULL,
	"amount" bigint,
	"target" bigint,
	"monthly_cap" bigint NOT NULL,
	"armed" boolean DEFAULT true NOT NULL,
	"failures" smallint DEFAULT 0 NOT NULL,
	"retry_at" timestamp with time zone,
	"paused_reason" text,
	"in_flight_top_up_id" bigint,
	"month" text NOT NULL,
	"spent" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "auto_top_ups_amounts" CHECK ("auto_top_ups"."threshold" > 0 and "auto_top_ups"."monthly_cap" > 0 and "auto_top_ups"."spent" >= 0 and ("auto_top_ups"."amount" is null) <> ("auto_top_ups"."target" is null))
);
--> statement-breakpoint
CREATE INDEX "auto_top_ups_due_idx" ON "auto_top_ups" USING btree ("account_id") WHERE "auto_top_ups"."enabled" and "auto_top_ups"."paused_reason" is null;
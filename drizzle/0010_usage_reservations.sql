CREATE TABLE "usage_reservations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "usage_reservations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"meter" text NOT NULL,
	"quantity" numeric(30, 6) NOT NULL,
	"amount" bigint NOT NULL,
	"held" bigint NOT NULL,
	"settled" numeric(30, 6) NOT NULL,
	"status" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "usage_reservations_held" CHECK ("usage_reservations"."held" >= 0 and "usage_reservations"."held" <= "usage_reservations"."amount"),
	CONSTRAINT "usage_reservations_held_when_open" CHECK ("usage_reservations"."status" = 'open' or "usage_reservations"."held" = 0)
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "reserved" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_reservations_account_idx" ON "usage_reservations" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "usage_reservations_open_idx" ON "usage_reservations" USING btree ("expires_at") WHERE "usage_reservations"."status" = 'open';--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_reserved_nonnegative" CHECK ("accounts"."reserved" >= 0);
CREATE TABLE "budgets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "budgets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"service" text,
	"period" text NOT NULL,
	"amount" bigint NOT NULL,
	"action" text NOT NULL,
	"notify_at" smallint[] NOT NULL,
	"period_key" text,
	"notified" smallint[] NOT NULL,
	"reached_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "budgets_amount_positive" CHECK ("budgets"."amount" > 0),
	CONSTRAINT "budgets_period" CHECK ("budgets"."period" in ('day', 'month')),
	CONSTRAINT "budgets_action" CHECK ("budgets"."action" in ('notify', 'stop'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_account_scope_uq" ON "budgets" USING btree ("account_id","period",coalesce("service", ''));--> statement-breakpoint
CREATE INDEX "budgets_reached_idx" ON "budgets" USING btree ("period_key") WHERE "budgets"."reached_at" is not null;
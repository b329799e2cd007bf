CREATE TABLE "billing_daily" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"channel" text NOT NULL,
	"kind" text NOT NULL,
	"quantity" numeric(30, 6) NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "billing_daily_account_id_day_channel_kind_pk" PRIMARY KEY("account_id","day","channel","kind")
);
--> statement-breakpoint
CREATE TABLE "usage_free_once" (
	"account_id" bigint NOT NULL,
	"meter" text NOT NULL,
	"used" numeric(30, 6) NOT NULL,
	CONSTRAINT "usage_free_once_account_id_meter_pk" PRIMARY KEY("account_id","meter")
);
--> statement-breakpoint
CREATE TABLE "usage_hour_peaks" (
	"account_id" bigint NOT NULL,
	"meter" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"peak" numeric(30, 6) NOT NULL,
	CONSTRAINT "usage_hour_peaks_account_id_meter_hour_pk" PRIMARY KEY("account_id","meter","hour")
);
--> statement-breakpoint
CREATE TABLE "usage_month_totals" (
	"account_id" bigint NOT NULL,
	"meter" text NOT NULL,
	"month" text NOT NULL,
	"quantity" numeric(30, 6) NOT NULL,
	"included_used" numeric(30, 6) NOT NULL,
	"free_once_used" numeric(30, 6) NOT NULL,
	"charged" bigint NOT NULL,
	CONSTRAINT "usage_month_totals_account_id_meter_month_pk" PRIMARY KEY("account_id","meter","month")
);

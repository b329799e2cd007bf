CREATE TABLE "usage_unrated" (
	"account_id" bigint NOT NULL,
	"meter" text NOT NULL,
	"day" date NOT NULL,
	"hour" timestamp with time zone,
	"reservation_id" bigint,
	"quantity" numeric NOT NULL,
	"settles" numeric NOT NULL,
	CONSTRAINT "usage_unrated_key" UNIQUE NULLS NOT DISTINCT("account_id","meter","day","hour","reservation_id")
);

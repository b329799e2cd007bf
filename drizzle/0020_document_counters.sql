CREATE TABLE "document_counters" (
	"kind" text NOT NULL,
	"period" text NOT NULL,
	"last" bigint NOT NULL,
	CONSTRAINT "document_counters_kind_period_pk" PRIMARY KEY("kind","period"),
	CONSTRAINT "document_counters_positive" CHECK ("document_counters"."last" > 0)
);

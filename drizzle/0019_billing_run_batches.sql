CREATE TABLE "billing_run_batches" (
	"run_id" bigint NOT NULL,
	"after_account_id" bigint NOT NULL,
	"through_account_id" bigint NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "billing_run_batches_run_id_after_account_id_pk" PRIMARY KEY("run_id","after_account_id")
);

CREATE TABLE "document_files" (
	"account_id" bigint NOT NULL,
	"document_id" bigint NOT NULL,
	"format" text NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "document_files_account_id_document_id_format_pk" PRIMARY KEY("account_id","document_id","format")
);
--> statement-breakpoint
ALTER TABLE "mails" ADD COLUMN "document_id" bigint;
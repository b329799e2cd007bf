CREATE TABLE "document_lines" (
	"document_id" bigint NOT NULL,
	"line" smallint NOT NULL,
	"account_id" bigint NOT NULL,
	"service" text,
	"description" text NOT NULL,
	"period_start" date,
	"period_end" date,
	"quantity" numeric(30, 6) NOT NULL,
	"unit" text NOT NULL,
	"price" bigint NOT NULL,
	"discount" bigint NOT NULL,
	"net" bigint NOT NULL,
	"tax" bigint NOT NULL,
	"gross" bigint NOT NULL,
	"transaction_ids" bigint[] NOT NULL,
	CONSTRAINT "document_lines_document_id_line_pk" PRIMARY KEY("document_id","line"),
	CONSTRAINT "document_lines_totals" CHECK ("document_lines"."net" + "document_lines"."tax" = "document_lines"."gross" and "document_lines"."price" - "document_lines"."discount" = "document_lines"."gross")
);
--> statement-breakpoint
CREATE TABLE "document_requests" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "document_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"transaction_id" bigint,
	"top_up_id" bigint,
	"detail" jsonb NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"document_id" bigint,
	CONSTRAINT "document_requests_source" CHECK ("document_requests"."transaction_id" is not null or "document_requests"."top_up_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "documents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"number" text,
	"issued_at" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"language" text NOT NULL,
	"seller" jsonb NOT NULL,
	"buyer" jsonb NOT NULL,
	"tax_category" text NOT NULL,
	"tax_rate" numeric NOT NULL,
	"tax_note" text,
	"net" bigint NOT NULL,
	"tax" bigint NOT NULL,
	"gross" bigint NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"corrects_document_id" bigint,
	"top_up_id" bigint,
	"payment" jsonb,
	CONSTRAINT "documents_number_by_kind" CHECK (("documents"."kind" = 'pro_forma') = ("documents"."number" is null)),
	CONSTRAINT "documents_totals" CHECK ("documents"."net" + "documents"."tax" = "documents"."gross")
);
--> statement-breakpoint
CREATE TABLE "invoice_pending" (
	"account_id" bigint NOT NULL,
	"month" text NOT NULL,
	"service" text NOT NULL,
	"kind" text NOT NULL,
	"quantity" numeric(30, 6) NOT NULL,
	"price" bigint NOT NULL,
	"discount" bigint NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"transaction_ids" bigint[] NOT NULL,
	CONSTRAINT "invoice_pending_month_account_id_service_kind_pk" PRIMARY KEY("month","account_id","service","kind")
);
--> statement-breakpoint
CREATE INDEX "document_lines_account_idx" ON "document_lines" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "document_requests_transaction_uq" ON "document_requests" USING btree ("account_id","kind","transaction_id") WHERE "document_requests"."transaction_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "document_requests_top_up_uq" ON "document_requests" USING btree ("account_id","kind","top_up_id") WHERE "document_requests"."transaction_id" is null;--> statement-breakpoint
CREATE INDEX "document_requests_waiting_idx" ON "document_requests" USING btree ("id") WHERE "document_requests"."document_id" is null;--> statement-breakpoint
CREATE INDEX "documents_account_idx" ON "documents" USING btree ("account_id","issued_at","id");--> statement-breakpoint
CREATE INDEX "documents_issued_idx" ON "documents" USING btree ("issued_at","id");--> statement-breakpoint
CREATE INDEX "documents_number_idx" ON "documents" USING btree ("number") WHERE "documents"."number" is not null;
CREATE TABLE "bank_statement_lines" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "bank_statement_lines_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"statement_id" bigint NOT NULL,
	"line" integer NOT NULL,
	"booked_on" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reference" text NOT NULL,
	"counterparty" text NOT NULL,
	"bank_ref" text NOT NULL,
	"status" text NOT NULL,
	"note" text,
	"top_up_id" bigint
);
--> statement-breakpoint
CREATE TABLE "bank_statements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "bank_statements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"statement_ref" text NOT NULL,
	"format" text NOT NULL,
	"imported_at" timestamp with time zone NOT NULL,
	CONSTRAINT "bank_statements_statement_ref_unique" UNIQUE("statement_ref")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "bank_statement_lines_line_uq" ON "bank_statement_lines" USING btree ("statement_id","line");--> statement-breakpoint
CREATE INDEX "bank_statement_lines_unmatched_idx" ON "bank_statement_lines" USING btree ("status","id") WHERE "bank_statement_lines"."status" = 'unmatched';
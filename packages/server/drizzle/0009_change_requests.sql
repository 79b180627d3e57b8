CREATE TABLE "change_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"flag_key" text,
	"kind" text NOT NULL,
	"change" jsonb NOT NULL,
	"preview" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"requested_by" jsonb NOT NULL,
	"comment" text,
	"decided_by" jsonb,
	"decided_at" timestamp with time zone,
	"decision_comment" text,
	"error" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_requests_status" CHECK ("change_requests"."status" in ('pending', 'applied', 'rejected', 'failed', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "protected" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_environment_environments_key_fk" FOREIGN KEY ("environment") REFERENCES "public"."environments"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_requests_pending" ON "change_requests" USING btree ("created_at","id") WHERE "change_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "change_requests_listing" ON "change_requests" USING btree ("created_at","id");
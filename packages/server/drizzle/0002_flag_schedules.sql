CREATE TABLE "flag_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"flag_id" uuid,
	"flag_key" text NOT NULL,
	"environment" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"updates" jsonb NOT NULL,
	"applied_at" timestamp with time zone,
	"error_message" text,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"next_retry_at" timestamp with time zone,
	"last_error" text,
	"created_by" text,
	"created_by_email" text,
	"cancelled_by" text,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flag_schedules_status" CHECK ("flag_schedules"."status" in ('pending', 'applied', 'failed', 'cancelled')),
	CONSTRAINT "flag_schedules_max_retries" CHECK ("flag_schedules"."max_retries" between 0 and 10)
);
--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD CONSTRAINT "flag_schedules_flag_id_flags_id_fk" FOREIGN KEY ("flag_id") REFERENCES "public"."flags"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "flag_schedules_due" ON "flag_schedules" USING btree (coalesce("next_retry_at", "scheduled_at"),"created_at") WHERE "flag_schedules"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "flag_schedules_flag" ON "flag_schedules" USING btree ("flag_id","environment","scheduled_at");--> statement-breakpoint
CREATE INDEX "flag_schedules_scheduled_at" ON "flag_schedules" USING btree ("scheduled_at","id");
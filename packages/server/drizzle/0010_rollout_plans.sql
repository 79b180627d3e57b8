CREATE TABLE "rollout_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"flag_id" uuid,
	"flag_key" text NOT NULL,
	"environment" text NOT NULL,
	"name" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text,
	"created_by_email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rollout_plans_status" CHECK ("rollout_plans"."status" in ('active', 'paused', 'completed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "flag_schedules" DROP CONSTRAINT "flag_schedules_status";--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD COLUMN "plan_id" uuid;--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD COLUMN "plan_step" integer;--> statement-breakpoint
ALTER TABLE "rollout_plans" ADD CONSTRAINT "rollout_plans_flag_id_flags_id_fk" FOREIGN KEY ("flag_id") REFERENCES "public"."flags"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rollout_plans_flag" ON "rollout_plans" USING btree ("flag_key","environment","created_at");--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD CONSTRAINT "flag_schedules_plan_id_rollout_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."rollout_plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "flag_schedules_plan_step" ON "flag_schedules" USING btree ("plan_id","plan_step");--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD CONSTRAINT "flag_schedules_status" CHECK ("flag_schedules"."status" in ('pending', 'applied', 'failed', 'cancelled', 'completed', 'paused', 'skipped'));
ALTER TABLE "flag_schedules" DROP CONSTRAINT "flag_schedules_status";--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD COLUMN "recurrence" jsonb;--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD COLUMN "occurrence_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD COLUMN "last_occurrence_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flag_schedules" ADD CONSTRAINT "flag_schedules_status" CHECK ("flag_schedules"."status" in ('pending', 'applied', 'failed', 'cancelled', 'completed'));
CREATE TABLE "segments" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"constraints" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flag_overrides" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "flag_states" ADD COLUMN "off_variant" text;--> statement-breakpoint
ALTER TABLE "flag_states" ADD COLUMN "rules" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "flag_states" ADD COLUMN "fallthrough" jsonb;--> statement-breakpoint
ALTER TABLE "flags" ADD COLUMN "type" text DEFAULT 'boolean' NOT NULL;--> statement-breakpoint
ALTER TABLE "flags" ADD COLUMN "variants" jsonb DEFAULT '[]'::jsonb NOT NULL;
ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_role";--> statement-breakpoint
ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_client_environment";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "allowed_origins" jsonb;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_frontend_origins" CHECK (("api_tokens"."role" = 'frontend') = ("api_tokens"."allowed_origins" is not null));--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_role" CHECK ("api_tokens"."role" in ('admin', 'viewer', 'client', 'server', 'frontend'));--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_client_environment" CHECK (("api_tokens"."role" in ('client', 'server', 'frontend')) = ("api_tokens"."environment" is not null));
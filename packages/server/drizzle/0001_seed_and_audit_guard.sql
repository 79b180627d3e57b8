INSERT INTO "environments" ("key", "name") VALUES ('development', 'Development'), ('production', 'Production') ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "config_state" ("id", "version") VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "config_state" ADD CONSTRAINT "config_state_single_row" CHECK ("id" = 1);
--> statement-breakpoint
-- The audit trail is append-only: history cannot be rewritten through the application or by hand.
CREATE OR REPLACE FUNCTION "audit_events_reject_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_reject_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_reject_change"();

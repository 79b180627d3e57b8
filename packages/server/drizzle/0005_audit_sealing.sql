CREATE TABLE "audit_chain" (
	"position" bigint PRIMARY KEY NOT NULL,
	"event_id" bigint NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	"sealed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_chain_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
-- Events written before sealing existed get xact_id 0: they are sealed first, in id order (the order the old chain lock
-- gave them), and their webhook deliveries already exist (the sealer makes deliveries only for xact_id > 0).
ALTER TABLE "audit_events" ADD COLUMN "xact_id" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "xact_id" SET DEFAULT (pg_current_xact_id()::text::bigint);--> statement-breakpoint
CREATE INDEX "audit_events_xact_id_id" ON "audit_events" USING btree ("xact_id","id");--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "prev_hash";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "hash";--> statement-breakpoint
-- The sealer orders events by the transaction that wrote them, so that id must be the real one whatever an INSERT says.
CREATE OR REPLACE FUNCTION "audit_events_stamp_xact"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.xact_id := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER "audit_events_stamp_xact" BEFORE INSERT ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_stamp_xact"();--> statement-breakpoint
-- The chain is append-only too; signed checkpoints kept outside the database catch what a superuser does anyway.
CREATE OR REPLACE FUNCTION "audit_reject_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;--> statement-breakpoint
CREATE TRIGGER "audit_chain_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_chain"
  FOR EACH ROW EXECUTE FUNCTION "audit_reject_change"();--> statement-breakpoint
CREATE TRIGGER "audit_chain_no_truncate" BEFORE TRUNCATE ON "audit_chain"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_reject_change"();

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "firstReplyAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "Message_conversationId_createdAt_idx" ON "Message"("conversationId", "createdAt");

-- The report counts a contact as replied from the first inbound text of their conversation.
-- Conversation.firstReplyAt keeps that time so the report reads one column instead of every
-- message. Its one rule is conversation_first_reply_recount (the earliest inbound Message of the
-- conversation, null when there is none), run by triggers on Message for every writer, in the
-- statement that changed the texts.
CREATE FUNCTION conversation_first_reply_recount(ids UUID[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE "Conversation" cv SET "firstReplyAt" = f.at
  FROM (
    SELECT c.id, (SELECT min(m."createdAt") FROM "Message" m WHERE m."conversationId" = c.id AND m.direction = 'inbound') AS at
    FROM (SELECT DISTINCT u.id FROM unnest(ids) AS u(id) WHERE u.id IS NOT NULL) c
  ) f
  WHERE cv.id = f.id AND cv."firstReplyAt" IS DISTINCT FROM f.at
$$;

-- The body is an E string whose statement ends are written \x3B: the migration runner splits scripts at every semicolon
CREATE FUNCTION conversation_first_reply_statement() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''TRUNCATE'' THEN
    UPDATE "Conversation" SET "firstReplyAt" = NULL WHERE "firstReplyAt" IS NOT NULL\x3B
  ELSE
    PERFORM conversation_first_reply_recount(ARRAY(SELECT r."conversationId" FROM old_rows r WHERE r.direction = ''inbound'' AND r."conversationId" IS NOT NULL))\x3B
  END IF\x3B
  RETURN NULL\x3B
END';

CREATE FUNCTION conversation_first_reply_row() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' THEN
    PERFORM conversation_first_reply_recount(ARRAY[NEW."conversationId"])\x3B
  ELSE
    PERFORM conversation_first_reply_recount(ARRAY[OLD."conversationId", NEW."conversationId"])\x3B
  END IF\x3B
  RETURN NULL\x3B
END';

-- Row triggers whose WHEN skips them for the busy paths: a send inserts an outbound text, an
-- inbound webhook inserts its text without a conversation and joins it later (an update).
CREATE TRIGGER "Message_first_reply_insert" AFTER INSERT ON "Message"
  FOR EACH ROW WHEN (NEW.direction = 'inbound' AND NEW."conversationId" IS NOT NULL)
  EXECUTE FUNCTION conversation_first_reply_row();

CREATE TRIGGER "Message_first_reply_delete" AFTER DELETE ON "Message"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_first_reply_statement();

CREATE TRIGGER "Message_first_reply_truncate" AFTER TRUNCATE ON "Message"
  FOR EACH STATEMENT EXECUTE FUNCTION conversation_first_reply_statement();

-- Status updates (the busiest) name none of these columns and skip the trigger without running it
CREATE TRIGGER "Message_first_reply_update" AFTER UPDATE OF "conversationId", "createdAt", direction ON "Message"
  FOR EACH ROW WHEN (
    (OLD.direction = 'inbound' OR NEW.direction = 'inbound')
    AND (OLD."conversationId" IS DISTINCT FROM NEW."conversationId" OR OLD."createdAt" IS DISTINCT FROM NEW."createdAt" OR OLD.direction IS DISTINCT FROM NEW.direction)
  ) EXECUTE FUNCTION conversation_first_reply_row();

-- The conversations already stored
UPDATE "Conversation" cv SET "firstReplyAt" = r.at
FROM (SELECT m."conversationId", min(m."createdAt") AS at FROM "Message" m WHERE m.direction = 'inbound' AND m."conversationId" IS NOT NULL GROUP BY m."conversationId") r
WHERE cv.id = r."conversationId";

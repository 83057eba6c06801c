-- Conversation.firstReplyAt without recounting on every inbound text. The row trigger used to
-- recount the conversation's texts for each text that joined it (the inbox joins every voter's text
-- to its conversation), and the recount's plan read every Conversation row. Now a text that
-- counted nowhere before (inserted, or an inbound text joining a conversation) can only make its
-- conversation's first reply earlier, so the trigger moves firstReplyAt to it when it is earlier: one
-- update by primary key, no rows read. A text that leaves a conversation, is re-dated or turned
-- still recounts both conversations, and the recount now finds them by primary key.

-- The earliest inbound Message of each conversation in ids, null when there is none (the one rule)
CREATE OR REPLACE FUNCTION conversation_first_reply_recount(ids UUID[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE "Conversation" cv
  SET "firstReplyAt" = (SELECT min(m."createdAt") FROM "Message" m WHERE m."conversationId" = cv.id AND m.direction = 'inbound')
  WHERE cv.id = ANY(ids)
    AND cv."firstReplyAt" IS DISTINCT FROM (SELECT min(m."createdAt") FROM "Message" m WHERE m."conversationId" = cv.id AND m.direction = 'inbound')
$$;

-- The body is an E string whose statement ends are written \x3B: the migration runner splits scripts at every semicolon
CREATE OR REPLACE FUNCTION conversation_first_reply_row() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''INSERT'' OR OLD.direction <> ''inbound'' OR OLD."conversationId" IS NULL THEN
    UPDATE "Conversation" SET "firstReplyAt" = NEW."createdAt"
    WHERE id = NEW."conversationId" AND NEW.direction = ''inbound''
      AND ("firstReplyAt" IS NULL OR "firstReplyAt" > NEW."createdAt")\x3B
  ELSE
    PERFORM conversation_first_reply_recount(ARRAY[OLD."conversationId", NEW."conversationId"])\x3B
  END IF\x3B
  RETURN NULL\x3B
END';

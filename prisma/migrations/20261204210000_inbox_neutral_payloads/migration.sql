-- Inbox events now hold the carrier's message as a neutral object, so services never read Twilio's
-- field names: texts {sid, from, to, body, media, carrierKeyword, raw}, delivery callbacks
-- {sid, status, errorCode, raw}, with Twilio's parameters kept verbatim under "raw". Events still
-- waiting to be processed are rewritten, processed ones are history and stay as they came.
UPDATE "InboundEvent" SET payload = jsonb_build_object(
    'sid', payload ->> 'MessageSid',
    'from', payload ->> 'From',
    'to', payload ->> 'To',
    'body', coalesce(payload ->> 'Body', ''),
    'media', '[]'::jsonb,
    'carrierKeyword', CASE upper(payload ->> 'OptOutType') WHEN 'STOP' THEN 'opt-out' WHEN 'START' THEN 'opt-in' WHEN 'HELP' THEN 'help' END,
    'raw', payload)
WHERE source = 'twilio.sms' AND "processedAt" IS NULL AND payload ? 'MessageSid';

UPDATE "InboundEvent" SET payload = jsonb_build_object(
    'sid', payload ->> 'MessageSid',
    'status', payload ->> 'MessageStatus',
    'errorCode', CASE WHEN payload ->> 'ErrorCode' ~ '^[0-9]+$' THEN (payload ->> 'ErrorCode')::int END,
    'raw', payload)
WHERE source = 'twilio.status' AND "processedAt" IS NULL AND payload ? 'MessageSid';

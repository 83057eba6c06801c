/**
 * @deprecated Kept only while blocks/conversation.ts imports `escapeMrkdwn` from here: use escapeForSlack
 * from domain/slack-text, and delete this file once conversation.ts does. The segment builders live in
 * segment-fields.ts, segment-modal.ts, segment-count.ts and segment-messages.ts.
 */
export { escapeForSlack as escapeMrkdwn } from "../../domain/slack-text";

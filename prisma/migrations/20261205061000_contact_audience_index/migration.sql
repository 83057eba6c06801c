-- The state index becomes the audience index: state as its key, and every other column an audience
-- count or /segment show reads of a contact (id for the Message and CampaignContact probes, phone
-- for the opt-out list, the time zone for the breakdown, the tags) INCLUDEd, so PostgreSQL answers
-- from the index alone instead of reading nearly every heap page of Contact (a segment's contacts
-- are spread over all of them). Included, not key, columns: inserts still append per state, so an
-- import pays little more than for the old index.
DROP INDEX "Contact_state_idx";

CREATE INDEX "Contact_audience_idx" ON "Contact"("state") INCLUDE ("id", "phone", "timeZone", "tags");

-- CreateTable
CREATE TABLE "ContactChoice" (
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "contacts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ContactChoice_pkey" PRIMARY KEY ("kind","value")
);

-- The segment form's menus read ContactChoice instead of scanning every contact. Statement
-- triggers on Contact keep it current for every writer (the import's COPY and merge, deletes,
-- any later code) from the rows each statement changed, in one grouped upsert a statement.
-- A contact's choices: each tag, each custom field name and its time zone (the menus' old queries, row by row)
CREATE FUNCTION contact_choices_of(tags TEXT[], custom JSONB, zone TEXT) RETURNS TABLE (kind TEXT, value TEXT)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'tag', t FROM unnest(tags) AS t
  UNION ALL
  SELECT 'field', k FROM jsonb_object_keys(CASE WHEN jsonb_typeof(custom) = 'object' THEN custom ELSE '{}'::jsonb END) AS k
  UNION ALL
  SELECT 'zone', zone WHERE zone IS NOT NULL
$$;

-- The body is an E string whose statement ends are written \x3B: the migration runner splits scripts at every semicolon
CREATE FUNCTION contact_choices_count() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''TRUNCATE'' THEN
    DELETE FROM "ContactChoice"\x3B
  ELSIF TG_OP = ''INSERT'' THEN
    INSERT INTO "ContactChoice" AS cc (kind, value, contacts)
    SELECT d.kind, d.value, sum(d.n)::int
    FROM (SELECT ch.kind, ch.value, 1 AS n FROM new_rows r, contact_choices_of(r.tags, r."customFields", r."timeZone") ch) d
    GROUP BY d.kind, d.value
    HAVING sum(d.n) <> 0
    ORDER BY d.kind, d.value
    ON CONFLICT (kind, value) DO UPDATE SET contacts = cc.contacts + EXCLUDED.contacts\x3B
  ELSIF TG_OP = ''DELETE'' THEN
    INSERT INTO "ContactChoice" AS cc (kind, value, contacts)
    SELECT d.kind, d.value, sum(d.n)::int
    FROM (SELECT ch.kind, ch.value, -1 AS n FROM old_rows r, contact_choices_of(r.tags, r."customFields", r."timeZone") ch) d
    GROUP BY d.kind, d.value
    HAVING sum(d.n) <> 0
    ORDER BY d.kind, d.value
    ON CONFLICT (kind, value) DO UPDATE SET contacts = cc.contacts + EXCLUDED.contacts\x3B
  ELSE
    INSERT INTO "ContactChoice" AS cc (kind, value, contacts)
    SELECT d.kind, d.value, sum(d.n)::int
    FROM (SELECT ch.kind, ch.value, 1 AS n FROM new_rows r, contact_choices_of(r.tags, r."customFields", r."timeZone") ch UNION ALL SELECT ch.kind, ch.value, -1 AS n FROM old_rows r, contact_choices_of(r.tags, r."customFields", r."timeZone") ch) d
    GROUP BY d.kind, d.value
    HAVING sum(d.n) <> 0
    ORDER BY d.kind, d.value
    ON CONFLICT (kind, value) DO UPDATE SET contacts = cc.contacts + EXCLUDED.contacts\x3B
  END IF\x3B
  RETURN NULL\x3B
END';

CREATE TRIGGER "Contact_choices_insert" AFTER INSERT ON "Contact"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_choices_count();

CREATE TRIGGER "Contact_choices_update" AFTER UPDATE ON "Contact"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_choices_count();

CREATE TRIGGER "Contact_choices_delete" AFTER DELETE ON "Contact"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_choices_count();

CREATE TRIGGER "Contact_choices_truncate" AFTER TRUNCATE ON "Contact"
  FOR EACH STATEMENT EXECUTE FUNCTION contact_choices_count();

-- The contacts already stored
INSERT INTO "ContactChoice" (kind, value, contacts)
SELECT ch.kind, ch.value, count(*)::int
FROM "Contact" r, contact_choices_of(r.tags, r."customFields", r."timeZone") ch
GROUP BY ch.kind, ch.value;

import { prepared } from "../../../src/db/prepared";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

describe("prepared statements (PostgreSQL)", () => {
  const registered = prepared(`SELECT $1::int + 1 AS "next" /* prepared.test */`);
  const plain = `SELECT $1::int + 2 AS "next" /* prepared.test */`;

  it("parses a registered text once per connection and leaves other texts unnamed", async () => {
    const db = await openMigratedDatabase(createPostgresDatabase);
    try {
      // One transaction keeps every query on one pooled connection, whose prepared statements we list.
      const { answers, statements } = await db.prisma.$transaction(async (tx) => {
        const answers = [];
        for (let n = 0; n < 3; n++)
          answers.push(
            ...(await tx.$queryRawUnsafe<{ next: number }[]>(registered, n)),
            ...(await tx.$queryRawUnsafe<{ next: number }[]>(plain, n)),
          );
        const statements = await tx.$queryRawUnsafe<{ name: string; statement: string }[]>(
          `SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE '%prepared.test%'`,
        );
        return { answers, statements };
      });
      expect(answers.map((a) => a.next)).toEqual([1, 2, 2, 3, 3, 4]);
      expect(statements).toEqual([{ name: expect.stringMatching(/^p\d+$/), statement: registered }]);
    } finally {
      await db.dispose();
    }
  });
});

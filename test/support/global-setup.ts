import { chooseTestPostgres, type TestPostgres } from "./test-postgres";

/** jest's globalSetup: picks the run's PostgreSQL and hands its URL to the test workers. */
export default async function globalSetup(): Promise<void> {
  const chosen = await chooseTestPostgres();
  process.env.TEST_DATABASE_URL = chosen.url;
  (globalThis as { testPostgres?: TestPostgres }).testPostgres = chosen;
  process.stdout.write(`\nPostgreSQL for this run: ${chosen.description}\n`);
}

import type { TestPostgres } from "./test-postgres";

/** jest's globalTeardown (it runs whether or not tests failed): stops what globalSetup started. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { testPostgres?: TestPostgres };
  await state.testPostgres?.stop();
  delete state.testPostgres;
}

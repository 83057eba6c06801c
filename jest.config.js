/** @type {import("jest").Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test", "<rootDir>/manifest"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.[tj]s$": ["ts-jest", { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  // Prisma's WASM schema engine ships ESM; let ts-jest turn it into CommonJS.
  transformIgnorePatterns: ["node_modules/(?!@prisma/schema-engine-wasm/)"],
  testTimeout: 30_000,
  // TEST_DATABASE_URL, else PostgreSQL on 127.0.0.1:5432, else an embedded one started for the run.
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
};

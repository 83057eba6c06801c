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
};

import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";

type WasmExports = Record<string, unknown>;

type SchemaEngineModule = typeof import("@prisma/schema-engine-wasm/schema_engine_bg") & {
  __wbg_set_wasm(exports: WasmExports): void;
};

/** The slice of the WebAssembly global we use (its types live in lib.dom, which a server does not load). */
const { WebAssembly } = globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: WasmExports } }>;
  };
};

let loaded: Promise<SchemaEngineModule> | undefined;

/**
 * Loads Prisma's WASM schema engine without Node flags: the package's entry imports the .wasm as an
 * ES module (needs --experimental-wasm-modules on Node 20), so we instantiate it ourselves.
 */
function loadSchemaEngineModule(): Promise<SchemaEngineModule> {
  loaded ??= (async () => {
    const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bg = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as SchemaEngineModule;
    const bytes = await readFile(path.join(path.dirname(bgPath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": withUnrefTimers(bg) });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  return loaded;
}

/**
 * The engine arms 10 s timers (timeouts around its queries) that it never clears; unref them so a
 * finished migration does not keep the process, or a test run, alive for 10 more seconds.
 */
function withUnrefTimers(bg: SchemaEngineModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bg };
  for (const [name, fn] of Object.entries(bg)) {
    if (name.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
      imports[name] = (...args: unknown[]) => {
        const timer = (fn as (...a: unknown[]) => NodeJS.Timeout)(...args);
        timer.unref?.();
        return timer;
      };
    }
  }
  return imports;
}

/**
 * Runs `fn` with a schema engine for `schemaText` that talks to the database through a Prisma
 * driver adapter, then releases the engine and every connection it opened. The engine does not
 * release its connections itself, and the one it migrates on keeps Prisma's migration advisory
 * lock until it is closed, which would stall the next process's migration.
 */
export async function withSchemaEngine<T>(
  schemaText: string,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine: Engine } = await loadSchemaEngineModule();
  const opened: SqlDriverAdapter[] = [];
  const track = async (connecting: Promise<SqlDriverAdapter>) => {
    const adapter = await connecting;
    opened.push(adapter);
    return adapter;
  };
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: () => track(adapterFactory.connect()),
    connectToShadowDb: () => track(adapterFactory.connectToShadowDb()),
  };
  const engine = await Engine.new(
    { datamodels: [["schema.prisma", schemaText]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((adapter) => adapter.dispose()));
  }
}

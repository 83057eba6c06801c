import { Client } from "pg";
import { ANSWERS_SQL, CONTACTS_SQL, OUTBOUND_SQL, REPORT_SETTINGS } from "./src/services/campaign-results-sql";
(async () => {
  const c = new Client({ connectionString: "postgres://postgres@127.0.0.1:5432/reports_keep" });
  await c.connect();
  const id = "00000000-0000-7000-8000-00000000b001";
  const only = process.argv[2];
  for (const [name, sql, params] of [["outbound", OUTBOUND_SQL, [id]], ["contacts", CONTACTS_SQL, [[id], "America/New_York"]], ["answers", ANSWERS_SQL, [id]]] as const) {
    if (only && only !== name) continue;
    const times: number[] = []; let plan = "";
    for (let i = 0; i < 4; i++) {
      await c.query("BEGIN"); for (const s of REPORT_SETTINGS) await c.query(s);
      const r = await c.query(`EXPLAIN (ANALYZE) ${sql}`, params as unknown[]);
      await c.query("COMMIT");
      plan = r.rows.map((x) => x["QUERY PLAN"]).join("\n");
      times.push(Number(/Execution Time: ([\d.]+)/.exec(plan)![1]));
    }
    console.log(`=== ${name} min ${Math.min(...times)} all ${times.join(" ")}`);
    if (process.env.PLAN) console.log(plan);
  }
  await c.end();
})();

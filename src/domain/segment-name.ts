import { MAX_NAME_LENGTH, nameKey, nameProblem, normalizeName } from "./display-name";

/** Segment names follow the rules of every display name (see display-name.ts). */

export const MAX_SEGMENT_NAME = MAX_NAME_LENGTH;

export const normalizeSegmentName = normalizeName;

export const segmentNameProblem = (name: string): string | null =>
  nameProblem(name, { noun: "segment", example: "Volunteers NY" });

export const segmentNameKey = nameKey;

import { UserError } from "../domain/user-error";

/** Why a file cannot go out as MMS; the message says what the sender can do instead. */
export type MediaRefusalReason =
  | "unsupported-type"
  | "heic"
  | "damaged"
  | "too-large"
  | "too-long"
  | "took-too-long"
  | "no-video-stream"
  | "unreachable";

export class MediaRefused extends UserError {
  override name = "MediaRefused";
  constructor(
    readonly reason: MediaRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

export const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString("en-US")} KB`;

import { downloadMedia } from "../media/fetch";

/**
 * Reads a file a user shared in Slack (`url_private_download`), which Slack serves only with a
 * token: the bot's goes to Slack's own hosts (or SLACK_API_URL's, for the local fake) and nowhere else.
 * Slack answers a file it will not serve with its HTML sign-in page: then the file's own type
 * (`mimetype`) is the better hint, and the bytes decide anyway.
 */
export function slackFileReader(
  botToken: string,
  apiUrl?: string,
): (url: string, mimetype?: string) => Promise<{ body: Buffer; contentType: string }> {
  const fakeHost = apiUrl ? new URL(apiUrl).host : null;
  return async (url, mimetype = "") => {
    const host = new URL(url).host;
    const slackHost = host === "slack.com" || host.endsWith(".slack.com") || host === fakeHost;
    const got = await downloadMedia(url, { headers: slackHost ? { authorization: `Bearer ${botToken}` } : {} });
    const contentType = got.contentType.startsWith("text/html") ? mimetype : got.contentType || mimetype;
    return { body: got.body, contentType };
  };
}

import { downloadMedia } from "../media/fetch";

/**
 * Reads a file a user shared in Slack (`url_private_download`), which Slack serves only with a
 * token: the bot's goes to Slack's own hosts (or SLACK_API_URL's, for the local fake) and nowhere else.
 */
export function slackFileReader(
  botToken: string,
  apiUrl?: string,
): (url: string) => Promise<{ body: Buffer; contentType: string }> {
  const fakeHost = apiUrl ? new URL(apiUrl).host : null;
  return (url) => {
    const host = new URL(url).host;
    const slackHost = host === "slack.com" || host.endsWith(".slack.com") || host === fakeHost;
    return downloadMedia(url, { headers: slackHost ? { authorization: `Bearer ${botToken}` } : {} });
  };
}

/**
 * Removes what could carry a credential from text that leaves the process (health, error
 * responses, logs): every URL is cut to its scheme and host, because RPC providers put API keys
 * in the path, the query or the user-info of their URLs, and error messages quote them.
 */
const URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/@"'<>]*@)?([^\s/?#"'<>]+)[^\s"'<>]*/gi;

export function redactSecrets(text: string): string {
  return text.replace(URL_PATTERN, (_m, scheme: string, host: string) => `${scheme}${host}/<redacted>`);
}

const MASK = '***';

/**
 * A webhook URL fit to show viewers and to log: a password (and a bare user name, which is then usually a token) is
 * masked, as is every query value and the fragment — services put their secrets there (`?token=…`). Keys, host and
 * path stay, so people can still tell their webhooks apart: https://user:***@host/path?token=***
 */
export function maskUrl(raw: string): string {
  if (!URL.canParse(raw)) return MASK;
  const url = new URL(raw);
  if (url.password) url.password = MASK;
  else if (url.username) url.username = MASK;
  if (url.search) {
    const masked = new URLSearchParams();
    for (const key of url.searchParams.keys()) masked.append(key, MASK);
    url.search = masked.toString();
  }
  if (url.hash) url.hash = MASK;
  return url.toString();
}

// A company's domain as stored and compared: lower case, without scheme, `www.`, port, path or trailing dot,
// so `https://www.Example.com/about` and `example.com` are the same company.

/** The normalised domain, or null when the text is not a domain name. */
export function normalizeDomain(input: string): string | null {
  let text = input.trim().toLowerCase();
  text = text.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/^\/\//, "");
  text = text.split(/[/?#]/, 1)[0] ?? "";
  text = text
    .replace(/^[^@]*@/, "")
    .replace(/:\d*$/, "")
    .replace(/\.$/, "");
  if (text === "" || !URL.canParse(`http://${text}`)) return null;
  // The URL parser turns international names into their ASCII (punycode) form, the form DNS uses.
  const host = new URL(`http://${text}`).hostname.replace(/^www\./, "");
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/.test(host)
    ? host
    : null;
}

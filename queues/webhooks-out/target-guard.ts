// SSRF guard for outgoing webhooks: a target must be an http(s) URL whose host is a public name or address.
// Checked when a subscription is saved and again before every delivery (the setting may have changed since).
// Literal addresses are checked by range; names that only resolve inside a network (localhost, *.local,
// *.internal, single labels such as `metadata`) are refused by name. Workers cannot resolve DNS before a fetch,
// so a public name pointing at a private address is left to the platform: a Worker's fetch leaves from the
// edge, not from inside the operator's network, and deliveries never follow redirects.

export type TargetCheck = { ok: true } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2000;

/** Names that resolve only locally or inside a provider's network (cloud metadata services among them). */
const PRIVATE_SUFFIXES = [
  ".localhost",
  ".local",
  ".localdomain",
  ".internal",
  ".intranet",
  ".lan",
  ".home",
  ".corp",
  ".home.arpa",
  ".in-addr.arpa",
  ".ip6.arpa",
];

/** IPv4 ranges that are not on the public internet, as [first octets, prefix length, what it is]. */
const PRIVATE_V4: readonly [number, number, string][] = [
  [0x00000000, 8, "the unspecified network 0.0.0.0/8"],
  [0x0a000000, 8, "a private network (10.0.0.0/8)"],
  [0x64400000, 10, "a shared address space (100.64.0.0/10)"],
  [0x7f000000, 8, "a loopback address (127.0.0.0/8)"],
  [0xa9fe0000, 16, "a link-local address (169.254.0.0/16, cloud metadata services live here)"],
  [0xac100000, 12, "a private network (172.16.0.0/12)"],
  [0xc0000000, 24, "an IETF protocol address (192.0.0.0/24)"],
  [0xc0a80000, 16, "a private network (192.168.0.0/16)"],
  [0xc6120000, 15, "a benchmarking network (198.18.0.0/15)"],
  [0xe0000000, 4, "a multicast address (224.0.0.0/4)"],
  [0xf0000000, 4, "a reserved address (240.0.0.0/4)"],
];

function refuse(reason: string): TargetCheck {
  return { ok: false, reason };
}

/**
 * Whether `url` may receive webhooks. `allowPrivate` (the local-development setting
 * WEBHOOKS_ALLOW_PRIVATE_TARGETS) lets private, loopback and local names through; never other schemes.
 */
export function checkTarget(url: string, allowPrivate: boolean): TargetCheck {
  if (url.length > MAX_URL_LENGTH) return refuse(`the URL is longer than ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse("not a valid URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return refuse(`only http:// and https:// targets are allowed, not ${parsed.protocol}`);
  }
  if (allowPrivate) return { ok: true };
  const problem = privateHost(parsed.hostname);
  return problem
    ? refuse(`${problem}: private, loopback and link-local targets are refused (SSRF protection)`)
    : { ok: true };
}

/** Why the host is not public, or null when it is. `hostname` is as the URL parser normalised it. */
export function privateHost(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) return privateV6(host.slice(1, -1));
  const v4 = parseV4(host);
  if (v4 !== null) return privateV4(v4);
  if (host === "localhost" || host === "") return "a local host name";
  if (!host.includes(".")) return "a single-label host name (it resolves only inside a network)";
  if (PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) return "a local or internal host name";
  return null;
}

/** The URL parser has already turned 0x7f.1, 2130706433 and friends into dotted decimal. */
function parseV4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function privateV4(address: number): string | null {
  if (address === 0xffffffff) return "the broadcast address";
  for (const [base, bits, what] of PRIVATE_V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === base) return what;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address as the URL parser writes it: hex groups, maybe one `::`. */
function parseV6(text: string): number[] | null {
  const [left = "", right, ...rest] = text.split("::");
  if (rest.length > 0) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const l = groups(left);
  const r = groups(right ?? "");
  const missing = 8 - l.length - r.length;
  if (right === undefined ? missing !== 0 : missing < 0) return null;
  const all = [...l, ...Array<number>(missing).fill(0), ...r];
  return all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

function privateV6(text: string): string | null {
  const g = parseV6(text);
  if (!g) return "an IPv6 address that cannot be read";
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  const embedded = (g6 << 16) + g7;
  if (zeroUpTo(8)) return "the unspecified address (::)";
  if (zeroUpTo(7) && g7 === 1) return "the loopback address (::1)";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the embedded IPv4 address.
  if (zeroUpTo(5) && (g5 === 0xffff || g5 === 0)) return privateV4(embedded >>> 0);
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address too.
  if (g0 === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return privateV4(embedded >>> 0);
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
  if (g0 === 0x2002) return privateV4((((g[1] ?? 0) << 16) + (g[2] ?? 0)) >>> 0);
  if ((g0 & 0xfe00) === 0xfc00) return "a unique local address (fc00::/7)";
  if ((g0 & 0xffc0) === 0xfe80) return "a link-local address (fe80::/10)";
  if ((g0 & 0xffc0) === 0xfec0) return "a site-local address (fec0::/10)";
  if ((g0 & 0xff00) === 0xff00) return "a multicast address (ff00::/8)";
  return null;
}

// The shape of API keys: `crm_`, a short visible id, `_`, then the secret. Only the hash is stored; the visible
// prefix tells keys apart in lists and logs.
export const API_KEY_PREFIX = "crm_";

// Makes the test runtime refuse PBKDF2 above 100,000 iterations, as Workers do in production (workerd run
// locally accepts more, which would hide the failure until deploy). Any code path that asks for more fails
// every Worker test that reaches it.
const LIMIT = 100_000;
const subtle = crypto.subtle;
const deriveBits = subtle.deriveBits.bind(subtle);
const deriveKey = subtle.deriveKey.bind(subtle);

function check(algorithm: unknown): void {
  if (
    typeof algorithm === "object" &&
    algorithm !== null &&
    "name" in algorithm &&
    String(algorithm.name).toUpperCase() === "PBKDF2" &&
    "iterations" in algorithm &&
    Number(algorithm.iterations) > LIMIT
  ) {
    throw new DOMException(
      `PBKDF2 iterations above ${LIMIT} are not supported in production Workers`,
      "NotSupportedError",
    );
  }
}

Object.defineProperty(subtle, "deriveBits", {
  configurable: true,
  value: async (
    algorithm: Parameters<SubtleCrypto["deriveBits"]>[0],
    ...rest: [CryptoKey, number | null]
  ) => {
    check(algorithm);
    return deriveBits(algorithm, ...rest);
  },
});
Object.defineProperty(subtle, "deriveKey", {
  configurable: true,
  value: async (
    algorithm: Parameters<SubtleCrypto["deriveKey"]>[0],
    ...rest: Parameters<SubtleCrypto["deriveKey"]> extends [unknown, ...infer R] ? R : never
  ) => {
    check(algorithm);
    return deriveKey(algorithm, ...rest);
  },
});

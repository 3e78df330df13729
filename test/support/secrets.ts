// Secrets for tests only: fixed, so a failure can be reproduced; never used outside the test suite.
export const TEST_SECRETS = {
  PASSWORD_PEPPER: "test-pepper-not-for-production-use",
  // Two keys: "k2" signs, "k1" still verifies (as during a rotation).
  SESSION_SIGNING_KEYS:
    "k2:dGVzdC1zaWduaW5nLWtleS10d28tMzItYnl0ZXMtbG9uZyE,k1:dGVzdC1zaWduaW5nLWtleS1vbmUtMzItYnl0ZXMtbG9uZyE",
};

/** Emulators accept any credentials; fixed ones keep every client in one emulator account and region. */
export const EMULATOR_REGION = "us-east-1";

export const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** Client settings for an SDK client pointed at an emulator endpoint. */
export function emulatorClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  // Few attempts: an emulator that fails once is a test failure to see, not a blip to retry away.
  return { endpoint, region: EMULATOR_REGION, credentials: { ...EMULATOR_CREDENTIALS }, maxAttempts: 2 };
}

// Numbers of the KMS host semantics (KMS activation planning; slmgr-reference.md §7).

export const DEFAULT_KMS_PORT = 1688;
/** A host counts the unique client machine IDs it saw in the last 30 days … */
export const COUNT_WINDOW_MS = 30 * 24 * 60 * 60_000;
/** … and reports at most 50 of them (twice the highest threshold, 25). */
export const COUNT_CAP = 50;
/** One host key activates at most 6 hosts, each at most 10 times (0xC004C008 beyond). */
export const HOST_KEY_MAX_HOSTS = 6;
export const HOST_KEY_MAX_ACTIVATIONS_PER_HOST = 10;

/** KMS events as Windows logs them (Application log, source Software Protection Platform). */
export const KMS_CLIENT_REQUEST_EVENT = 12288;
export const KMS_CLIENT_RESULT_EVENT = 12289;
export const KMS_HOST_REQUEST_EVENT = 12290;

/**
 * How long the kms backend waits for one host: the TCP connection, then each exchange (bind,
 * request). Long enough for a WAN link, short enough that a dead host does not stall a script.
 */
export const KMS_CONNECT_TIMEOUT_MS = 5_000;
export const KMS_EXCHANGE_TIMEOUT_MS = 15_000;

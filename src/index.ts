// The package's programmatic surface: the CLI runner (no process access, returns the exit code),
// the pure licensing core, and the KMS client (docs/api.md).

export { run, type CliEnvironment, type KmsInputs, type Writable } from './cli/main.js';
export {
  KmsSession,
  KMS_E_UNSUPPORTED_VERSION,
  requestKmsActivation,
  type KmsActivationResponse,
  type KmsConnectionOptions,
  type KmsProductIdentity,
  type KmsRequestInput,
} from './backends/kms/client.js';
export {
  KmsConnectionError,
  tcpTransport,
  type ConnectOptions,
  type KmsConnection,
  type KmsConnectionFailure,
  type KmsEndpoint,
  type KmsTransport,
} from './backends/kms/transport.js';
export { KmsProtocolError, type KmsProtocolErrorCode } from './kms/errors.js';
export type { KmsProtocolVersion } from './kms/messages.js';
export { parseCommandLine } from './cli/argv.js';
export { normalizeProductKey, parseProductKey, partialProductKey, maskProductKey, type ParsedProductKey } from './licensing/product-key.js';
export { catalogRows, findCatalogByKey, findCatalogBySkuId, isPublicGvlk, type CatalogRow } from './licensing/catalog.js';
export { formatErrorLine, slmgrErrorText, sdkMessage, signedHResult } from './licensing/hresult.js';
export { HResultError, InterruptedError, NetworkError, OptionError, SoftFailure, StoreError, UsageError } from './errors.js';

// The package's programmatic surface: the CLI runner (no process access, returns the exit code)
// and the pure licensing core. The KMS client API arrives with the kms backend.

export { run, type CliEnvironment, type Writable } from './cli/main.js';
export { parseCommandLine } from './cli/argv.js';
export { normalizeProductKey, parseProductKey, partialProductKey, maskProductKey, type ParsedProductKey } from './licensing/product-key.js';
export { catalogRows, findCatalogByKey, findCatalogBySkuId, isPublicGvlk, type CatalogRow } from './licensing/catalog.js';
export { formatErrorLine, slmgrErrorText, sdkMessage, signedHResult } from './licensing/hresult.js';
export { HResultError, NetworkError, NotImplementedError, OptionError, SoftFailure, StoreError, UsageError } from './errors.js';

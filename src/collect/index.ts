// The live collector's public surface.
export {
  collect,
  CollectAborted,
  CollectError,
  effectiveArgv,
  captureError,
  redactIni,
  toolVersion,
} from './collector.js'
export type {
  CollectManifest,
  CollectOptions,
  CollectProblem,
  CollectProgress,
  CollectResult,
  IntentSource,
} from './collector.js'
export {
  InventoryError,
  loadInventory,
  parseHostArg,
  parseInventory,
  resolveHostArgs,
  readSshConfig,
  ROLES,
} from './inventory.js'
export type {Inventory, InventoryHost} from './inventory.js'
export {LocalTransport, SshTransport, TransportError} from './transport.js'
export type {RunOptions, RunResult, SshConnectOptions, Transport, TransportErrorKind} from './transport.js'
export {shellQuote, quoteArg} from './quote.js'
export {checkBridgeName, checkFilePath, checkIfName, checkNetnsName, checkPid} from './validate.js'
export type {Checked} from './validate.js'
export {
  followUps,
  hostStage,
  appliesTo,
  bridgesFrom,
  namespacesFrom,
  dnsmasqPidsFrom,
  filesFrom,
  vethsFrom,
  configFilesFrom,
  keysFrom,
  keySourceIds,
} from './plan.js'
export type {FollowUpPlan, PlannedCapture, PlanProblem} from './plan.js'
export {
  parseKnownHosts,
  verifyHostKey,
  knownHostName,
  fingerprint,
  formatKnownHostsLine,
  hostKeyAlgorithmsFor,
} from './known-hosts.js'
export type {KnownHostEntry, HostKeyVerdict} from './known-hosts.js'
export {createLogger, silentLogger} from './log.js'
export {progressLine, formatProgress} from './progress.js'
export type {ProgressLine} from './progress.js'
export {
  authenticate,
  authRequestBody,
  configSearchPath,
  describeUser,
  fetchOpenStackIntent,
  joinUrl,
  keystoneV3Url,
  listAll,
  mergeConfig,
  neutronBase,
  nodeHttpClient,
  novaBase,
  OpenStackError,
  openstackIntentSource,
  readCatalog,
  resolveCloudConfig,
  safeUrl,
  scrub,
  Secret,
  selectAuthType,
  selectEndpoint,
  serverMessage,
  transportErrorMessage,
} from './openstack/index.js'
export type {
  ApiSession,
  ApplicationCredentialAuth,
  CatalogEndpoint,
  CatalogService,
  CloudConfig,
  CloudConfigOptions,
  CloudOverrides,
  EndpointChoice,
  EndpointInterface,
  HttpClient,
  HttpRequest,
  HttpResponse,
  IntentDocument,
  ListResult,
  OpenStackErrorKind,
  OpenStackIntent,
  OpenStackIntentOptions,
  OpenStackIntentRecord,
  PasswordAuth,
  TlsOptions,
  Token,
} from './openstack/index.js'

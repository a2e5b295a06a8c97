// Intent from the live OpenStack APIs, for `neutrace collect`, one file per job:
//
//   config.ts       clouds.yaml (+ secure.yaml), OS_CLOUD / --os-cloud, OS_* variables: read the way the openstack
//                   client reads them (openstacksdk's loader plus osc-lib's argparse defaults and default domain)
//   keystone.ts     Keystone v3 POST /v3/auth/tokens, password or application credential; X-Subject-Token; the
//                   catalog: network (and compute) endpoint chosen by interface and region
//   http.ts         one exchange: undici fetch + Agent (TLS options), deadline and cancellation as one AbortSignal
//   session.ts      a request in the name of a service: errors with service and URL, the server's own message
//   paging.ts       Neutron GET /v2.0/{networks,subnets,ports}, Nova GET /v2.1/servers/detail?all_tenants=1, every
//                   page (limit + the `*_links` next marker)
//   intent.ts       merged into one body of the API's own shape per list, with a record for the manifest
//   secret.ts       credentials are held in `Secret`s, which print as "[redacted]" however they are logged or
//                   serialised; every message built from a server's answer is scrubbed of them
//   errors.ts, urls.ts, loose.ts   error kinds; base URLs; reading untyped YAML/JSON
//
// The token is used only in the X-Auth-Token request header.

export {type CloudConfig, type CloudConfigOptions, configSearchPath, resolveCloudConfig} from './config.js'
export {OpenStackError} from './errors.js'
export {type HttpClient, nodeHttpClient, type HttpRequest, type HttpResponse, transportErrorMessage} from './http.js'
export {authRequestBody, readCatalog, selectEndpoint} from './keystone.js'
export {fetchOpenStackIntent, type OpenStackIntentRecord, openstackIntentSource} from './intent.js'

export {Secret} from './secret.js'
export {serverMessage} from './session.js'
export {joinUrl, keystoneV3Url, neutronBase, novaBase, safeUrl} from './urls.js'

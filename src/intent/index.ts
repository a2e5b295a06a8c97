// What Neutron and Nova know: networks, subnets, ports and servers, read from API bodies, `openstack … -f json`
// output and the legacy neutron/nova CLI tables, merged into one Intent.

export {type IntentDocument, IntentFolderError, intentOf, loadIntentDir, readIntentDocuments} from './load.js'
export {mergeIntent} from './merge.js'

export {parseIntentDocument} from './parse.js'

// What went wrong talking to OpenStack, by kind (config, auth, transport, …).

export type OpenStackErrorKind =
  'config' | 'auth' | 'forbidden' | 'not-found' | 'http' | 'connect' | 'tls' | 'timeout' | 'response' | 'aborted'

export class OpenStackError extends Error {
  override name = 'OpenStackError'
  constructor(
    readonly kind: OpenStackErrorKind,
    message: string,
    readonly url?: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

export function configError(message: string): OpenStackError {
  return new OpenStackError('config', message)
}

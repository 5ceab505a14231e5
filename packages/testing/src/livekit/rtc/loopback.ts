/**
 * Media rooms keep every packet on this machine: the server announces only
 * its `127.0.0.1` candidates and takes only loopback candidates from clients,
 * so no connectivity check is ever sent to another address.
 */

/** The only address the stand-in's media listens on, as far as clients learn. */
export const MEDIA_ADDRESS = '127.0.0.1';

/** The connection address of an ICE candidate line (`candidate:…` or `a=candidate:…`). */
export function candidateAddress(candidate: string): string | undefined {
  // foundation component transport priority address port "typ" type …
  const fields = candidate.replace(/^a=/, '').trim().split(/\s+/);
  return fields.length >= 8 ? fields[4] : undefined;
}

/** A client's candidate the server may use: IPv4 loopback. */
export function isLoopbackCandidate(candidate: string): boolean {
  return candidateAddress(candidate)?.startsWith('127.') ?? false;
}

/** A candidate of the server's own that it may announce. */
export function isAnnounceable(candidate: string): boolean {
  return candidateAddress(candidate) === MEDIA_ADDRESS;
}

/** The SDP without candidate lines that `keep` refuses (an SDP may carry candidates inline). */
export function filterSdpCandidates(sdp: string, keep: (candidate: string) => boolean): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || keep(line))
    .join('\r\n');
}

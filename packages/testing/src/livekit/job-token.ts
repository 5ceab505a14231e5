import type { AvailabilityResponse, Job, ParticipantPermission } from '@livekit/protocol';
import { AccessToken, type VideoGrant } from 'livekit-server-sdk';

/** Attribute naming the agent that runs a job, set by the server on the agent participant. */
export const AGENT_NAME_ATTRIBUTE = 'lk.agent_name';

/** The real server issues job tokens valid for one hour. */
const JOB_TOKEN_TTL_SECONDS = 3600;

export interface JobTokenInput {
  /** The worker connection's key pair: the job token is signed with the key the worker used. */
  apiKey: string;
  apiSecret: string;
  job: Job;
  /** The worker's acceptance: name, metadata and attributes of the agent participant. */
  answer: AvailabilityResponse;
  /** The agent participant's identity: the accepted one, or a default when it was empty. */
  identity: string;
  /** The worker's registered agent name, put in the `lk.agent_name` attribute. */
  agentName: string;
  /** The permissions the worker registered with (or the server's defaults). */
  permissions: ParticipantPermission;
}

/**
 * The token sent in a `JobAssignment`, built as the real server builds it:
 * `kind: agent`, join rights for the job's room only, and the registered
 * permissions as explicit booleans (present even when false, so the server's
 * "unset means true" defaults cannot widen them). `canPublishSources` and the
 * registration's `agent` flag are not carried over, as on the real server.
 */
export function mintJobToken(input: JobTokenInput): Promise<string> {
  const { answer, job, permissions } = input;
  const token = new AccessToken(input.apiKey, input.apiSecret, {
    identity: input.identity,
    name: answer.participantName,
    metadata: answer.participantMetadata,
    attributes: { ...answer.participantAttributes, [AGENT_NAME_ATTRIBUTE]: input.agentName },
    ttl: JOB_TOKEN_TTL_SECONDS,
  });
  token.kind = 'agent';
  const grant: VideoGrant = {
    roomJoin: true,
    agent: true,
    room: job.room?.name ?? '',
    canSubscribe: permissions.canSubscribe,
    canPublish: permissions.canPublish,
    canPublishData: permissions.canPublishData,
    canUpdateOwnMetadata: permissions.canUpdateMetadata,
    canSubscribeMetrics: permissions.canSubscribeMetrics,
  };
  if (permissions.hidden) grant.hidden = true;
  token.addGrant(grant);
  return token.toJwt();
}

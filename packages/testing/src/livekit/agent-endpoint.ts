import { type Logger, log, utils } from '@agents/core';
import type { ServerInfo, WorkerMessage } from '@livekit/protocol';
import { type RegisterWorkerRequest, WorkerStatus } from '@livekit/protocol';
import type { WebSocket } from 'ws';
import { newId } from './ids.js';
import type { JobDispatcher } from './jobs.js';
import type { MessageLog } from './message-log.js';
import {
  type ConnectionHandler,
  type ConnectionLimits,
  WorkerConnection,
} from './worker-connection.js';
import {
  defaultPermissions,
  type RegisteredWorker,
  registrationError,
  type WorkerPool,
} from './worker-pool.js';

export interface AgentEndpointOptions {
  pool: WorkerPool;
  dispatcher: JobDispatcher;
  messages: MessageLog;
  limits: ConnectionLimits;
  /** What the register response reports; changes when the server restarts (new node id). */
  serverInfo(): ServerInfo;
  onRegistered(worker: RegisteredWorker): void;
  onDisconnected(worker: RegisteredWorker, reason: string): void;
  onChange(): void;
}

/**
 * The `/agent` endpoint past the websocket upgrade: turns registrations into
 * pool entries and routes each worker's messages to the job dispatcher.
 */
export class AgentEndpoint implements ConnectionHandler {
  readonly #connections = new Set<WorkerConnection>();
  readonly #options: AgentEndpointOptions;
  readonly #log: Logger;

  constructor(options: AgentEndpointOptions) {
    this.#options = options;
    this.#log = log().child({ component: 'livekit-stand-in' });
  }

  /** Takes over an upgraded websocket; it must register within the deadline. */
  open(ws: WebSocket, apiKey: string, protocol: number): WorkerConnection {
    const connection = new WorkerConnection({
      id: utils.shortId('conn'),
      ws,
      apiKey,
      protocol,
      limits: this.#options.limits,
      handler: this,
      messages: this.#options.messages,
    });
    this.#connections.add(connection);
    return connection;
  }

  /** The open connection of a registered worker. */
  connectionOf(workerId: string): WorkerConnection | undefined {
    return this.#options.pool.get(workerId)?.connection;
  }

  /** Cuts every connection, registered or not, without a close frame (as a dying server does). */
  closeAll(reason: string): void {
    for (const connection of [...this.#connections]) connection.close(reason);
  }

  onRegister(connection: WorkerConnection, request: RegisterWorkerRequest): void {
    const error = registrationError(request);
    if (error) {
      this.#log.warn({ connectionId: connection.id, error }, 'refusing registration');
      connection.close(`invalid registration: ${error}`);
      return;
    }
    const worker: RegisteredWorker = {
      id: newId('AW_'),
      connection,
      agentName: request.agentName,
      namespace: request.namespace ?? '',
      jobType: request.type,
      deployment: request.deployment,
      version: request.version,
      permissions: request.allowedPermissions?.clone() ?? defaultPermissions(),
      registeredAt: Date.now(),
      status: WorkerStatus.WS_AVAILABLE,
      load: 0,
      runningJobs: new Set(),
      offers: new Map(),
    };
    // The response goes out before the worker joins the pool, so it is the first thing the worker hears.
    connection.accept(worker.id, this.#options.serverInfo());
    this.#options.pool.add(worker);
    this.#log.info(
      { workerId: worker.id, agentName: worker.agentName, version: worker.version },
      'worker registered',
    );
    this.#options.onRegistered(worker);
  }

  onMessage(connection: WorkerConnection, message: WorkerMessage): void {
    const worker = this.#options.pool.get(connection.workerId ?? '');
    if (!worker) return;
    const { dispatcher } = this.#options;
    const { case: kind, value } = message.message;
    switch (kind) {
      case 'availability':
        dispatcher.answer(worker, value);
        break;
      case 'updateWorker':
        // Status only when present; load always (absent means 0). job_count is not used.
        if (value.status !== undefined) worker.status = value.status;
        worker.load = value.load;
        this.#options.onChange();
        break;
      case 'updateJob':
        dispatcher.updateStatus(worker, value);
        break;
      case 'simulateJob':
        // The real server dereferences the room unchecked: a request without one kills the connection.
        if (!value.room) connection.close('simulate_job without a room');
        else dispatcher.simulate(worker, value);
        break;
      case 'migrateJob':
        this.#log.debug({ workerId: worker.id, jobIds: value.jobIds }, 'migrate_job ignored');
        break;
      default:
        // register and ping are handled by the connection; nothing else exists.
        break;
    }
  }

  onClose(connection: WorkerConnection, reason: string): void {
    this.#connections.delete(connection);
    const worker = connection.workerId ? this.#options.pool.remove(connection.workerId) : undefined;
    if (!worker) return;
    this.#options.dispatcher.workerGone(worker);
    this.#options.onDisconnected(worker, reason);
  }
}

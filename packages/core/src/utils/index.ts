export { isRetryable, type RetryOptions, retryDelay, withRetry } from './retry.js';
export { sleep } from './sleep.js';

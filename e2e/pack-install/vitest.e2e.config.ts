export { default } from '../../vitest.e2e.js';

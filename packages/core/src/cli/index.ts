export { type RunAppOptions, runApp } from './app.js';
export { downloadPluginFiles } from './download-files.js';
